"""Slack-side settings from the environment (the Flyte-side ones are the SDK's: FLYTE_API, ...)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from flyte_pack import ConfigError
from flyte_pack.config import parse_int

ENV_BOT_TOKEN = "FLYTE_SLACK_TOKEN"  # the original's variable
ENV_APP_TOKEN = "FLYTE_SLACK_APP_TOKEN"  # Socket Mode needs an app-level token as well
ENV_PACK_NAME = "PACK_NAME"
ENV_RENEW_CONVERSATIONS = "RENEW_CONVERSATION_LIST"
ENV_SLACK_API_URL = "FLYTE_SLACK_API_URL"
ENV_RATE_LIMIT_RETRIES = "FLYTE_SLACK_RATE_LIMIT_RETRIES"

DEFAULT_PACK_NAME = "Slack"
DEFAULT_RENEW_CONVERSATIONS_HOURS = 24
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_RATE_LIMIT_RETRIES = 3


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = field(repr=False)
    app_token: str = field(repr=False)
    pack_name: str = DEFAULT_PACK_NAME
    renew_conversations_seconds: float = DEFAULT_RENEW_CONVERSATIONS_HOURS * 3600.0
    api_url: str = DEFAULT_SLACK_API_URL
    rate_limit_retries: int = DEFAULT_RATE_LIMIT_RETRIES

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SlackSettings:
        """Read the settings; a missing token or a bad number raises :class:`ConfigError`."""
        env = os.environ if env is None else env
        bot_token = _required(env, ENV_BOT_TOKEN, "xoxb-")
        app_token = _required(env, ENV_APP_TOKEN, "xapp-")
        if bot_token.startswith("xapp-") or app_token.startswith("xox"):
            raise ConfigError(
                f"{ENV_BOT_TOKEN} must be the bot token (xoxb-...) and "
                f"{ENV_APP_TOKEN} the app-level token (xapp-...): they look swapped"
            )
        hours = _non_negative(env, ENV_RENEW_CONVERSATIONS, DEFAULT_RENEW_CONVERSATIONS_HOURS)
        retries = _non_negative(env, ENV_RATE_LIMIT_RETRIES, DEFAULT_RATE_LIMIT_RETRIES)
        api_url = env.get(ENV_SLACK_API_URL) or DEFAULT_SLACK_API_URL
        if not api_url.endswith("/"):  # WebClient joins method names onto it
            api_url += "/"
        return cls(
            bot_token=bot_token,
            app_token=app_token,
            pack_name=env.get(ENV_PACK_NAME) or DEFAULT_PACK_NAME,
            renew_conversations_seconds=hours * 3600.0,
            api_url=api_url,
            rate_limit_retries=retries,
        )


def _required(env: Mapping[str, str], name: str, prefix: str) -> str:
    value = (env.get(name) or "").strip()
    if not value:
        raise ConfigError(f"{name} environment variable is not set (a Slack token starting with {prefix!r})")
    return value


def _non_negative(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    value = parse_int(raw, name)
    if value < 0:
        raise ConfigError(f"{name} has been set to an invalid value: {value}")
    return value
