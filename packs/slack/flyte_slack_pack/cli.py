"""``flyte-slack-pack`` / ``python -m flyte_slack_pack``."""

from __future__ import annotations

import argparse
import logging
import sys

from slack_bolt.error import BoltError

from flyte_pack import ConfigError, configure_logging

from .pack import SlackPack
from .settings import ENV_APP_TOKEN, SlackSettings
from .slack import SlackError

log = logging.getLogger("flyte_slack_pack")

ENVIRONMENT = """\
environment:
  FLYTE_API                   Flyte API root URL (required), e.g. http://localhost:8080
  FLYTE_SLACK_TOKEN           the Slack app's bot token, xoxb-... (required)
  FLYTE_SLACK_APP_TOKEN       the Slack app's app-level token for Socket Mode, xapp-... (required)
  PACK_NAME                   pack name (default Slack)
  FLYTE_LABELS                pack labels, 'key=value,key2=value2'
  FLYTE_JWT                   token sent to the Flyte API as 'Authorization: Bearer <jwt>'
  RENEW_CONVERSATION_LIST     hours between renewals of the channel list (default 24)
  FLYTE_SLACK_RATE_LIMIT_RETRIES  retries of a rate-limited Slack call after Retry-After (default 3)
  FLYTE_SLACK_API_URL         Slack Web API base URL (default https://slack.com/api/)
  FLYTE_API_TIMEOUT, FLYTE_CA_CERT_FILE, FLYTE_PACK_CONCURRENCY, FLYTE_PACK_POLL_WAIT
                              as for every pack of the SDK
  LOGLEVEL                    debug, info (default), warn, error

SIGINT/SIGTERM stop listening to Slack, let the actions in flight finish and post their results,
then exit; a second signal exits at once.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="flyte-slack-pack",
        description="Flyte Slack pack: sends ReceivedMessage and ReactionAdded events from Slack "
        "(Socket Mode) and runs SendMessage, SendRichMessage and GetChannelInfo.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args(argv)
    configure_logging()
    try:
        settings = SlackSettings.from_env()
        pack = SlackPack(settings)
    except ConfigError as exc:
        log.error("invalid configuration: %s", exc)
        return 2
    except BoltError as exc:  # auth.test refused the bot token
        log.error("Slack refused the bot token: %s", exc)
        return 2
    except OSError as exc:  # auth.test could not reach Slack
        log.error("cannot reach Slack at %s: %s", settings.api_url, exc)
        return 1
    try:
        pack.run()
    except SlackError as exc:
        log.error("cannot connect to Slack over Socket Mode (check %s): %s", ENV_APP_TOKEN, exc.code)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
