"""The Slack Web API side: the calls the pack makes, the user and channel caches, and Slack's
errors as plain codes (``channel_not_found``, ``not_in_channel``, ``ratelimited``...).

Rate limits are honoured by slack_sdk's own ``RateLimitErrorRetryHandler``: a 429 is retried
after the ``Retry-After`` seconds Slack asks for, up to ``rate_limit_retries`` times; after that
the call fails with ``ratelimited``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from .settings import SlackSettings

log = logging.getLogger("flyte_slack_pack")

USER_CACHE_SECONDS = 3600.0  # names and titles change rarely; a message must not wait on users.info
CONVERSATIONS_PAGE_SIZE = 1000  # Slack's maximum, as the original
MIN_REFRESH_ON_MISS_SECONDS = 60.0  # an unknown channel name refreshes the list at most this often
CHANNEL_NOT_FOUND = "can't find channel with such name"  # the original's reason


class SlackError(Exception):
    """A Slack call failed; ``code`` is Slack's error (``channel_not_found``...) or a short
    description when Slack could not be reached."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def web_client(settings: SlackSettings) -> WebClient:
    """The bot's Web API client, retrying rate-limited calls after ``Retry-After``."""
    return make_web_client(settings.bot_token, settings.api_url, settings.rate_limit_retries)


def make_web_client(bot_token: str, api_url: str, rate_limit_retries: int) -> WebClient:
    return WebClient(
        token=bot_token,
        base_url=api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries)],
    )


def call(method: Callable[..., Any], **kwargs: Any) -> Any:
    """Call a WebClient method, turning its failures into :class:`SlackError`."""
    try:
        return method(**kwargs)
    except SlackApiError as exc:
        response = exc.response
        code = response.get("error") if isinstance(response.data, dict) else None
        raise SlackError(code or f"HTTP {response.status_code}") from exc
    except OSError as exc:  # URLError, timeouts, refused connections
        raise SlackError(f"cannot reach Slack: {getattr(exc, 'reason', exc)}") from exc


def user_payload(user_id: str, user: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The ``user`` object of the original's events, from a ``users.info`` user."""
    user = user or {}
    profile = user.get("profile") or {}
    return {
        "id": user.get("id") or user_id,
        "name": user.get("name") or "",
        "email": profile.get("email") or "",
        "title": profile.get("title") or "",
        "firstName": profile.get("first_name") or "",
        "lastName": profile.get("last_name") or "",
    }


@dataclass(frozen=True)
class Conversation:
    id: str
    name: str
    topic: str

    def payload(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "topic": self.topic}


class SlackGateway:
    """What the pack asks of Slack. Thread-safe: commands and event listeners share it."""

    def __init__(
        self,
        client: WebClient,
        renew_conversations_seconds: float,
        user_cache_seconds: float = USER_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._renew_conversations = renew_conversations_seconds
        self._user_cache_seconds = user_cache_seconds
        self._clock = clock
        self._users: dict[str, tuple[float, dict[str, str]]] = {}
        self._users_lock = threading.Lock()
        self._user_lookups: dict[str, threading.Lock] = {}
        self._channels: dict[str, Conversation] = {}
        self._channels_loaded_at: float | None = None
        self._channels_lock = threading.Lock()

    # -- users -----------------------------------------------------------------------------

    def user(self, user_id: str | None) -> dict[str, str]:
        """The user's id, name, email, title, first and last name, from ``users.info`` once per
        ``user_cache_seconds``. If Slack cannot say (no id, ``user_not_found``...), the id alone
        with empty fields: the event is still worth sending (the original dropped it)."""
        if not user_id:
            return user_payload("")
        with self._users_lock:
            cached = self._fresh_user(user_id)
            lookup_lock = self._user_lookups.setdefault(user_id, threading.Lock())
        if cached:
            return cached
        with lookup_lock:  # messages arriving together from one user: one users.info
            with self._users_lock:
                cached = self._fresh_user(user_id)
            if cached:
                return cached
            try:
                response = call(self.client.users_info, user=user_id)
            except SlackError as exc:
                log.warning("cannot look up Slack user %s: %s; sending the event with the id only", user_id, exc.code)
                return user_payload(user_id)
            user = user_payload(user_id, response.get("user"))
            with self._users_lock:
                self._users[user_id] = (self._clock(), user)
        return user

    def _fresh_user(self, user_id: str) -> dict[str, str] | None:
        cached = self._users.get(user_id)
        if cached and self._clock() - cached[0] < self._user_cache_seconds:
            return cached[1]
        return None

    # -- messages --------------------------------------------------------------------------

    def post_message(self, **fields: Any) -> tuple[str, str]:
        """``chat.postMessage``; returns the channel id and the ts of the posted message."""
        response = call(self.client.chat_postMessage, **fields)
        return response.get("channel") or fields.get("channel", ""), response.get("ts") or ""

    # -- channels --------------------------------------------------------------------------

    def find_channel(self, name: str) -> Conversation:
        """The channel named ``name`` (without ``#``), from a cached ``conversations.list``
        renewed every ``renew_conversations_seconds`` (the original's ``RENEW_CONVERSATION_LIST``)
        and, for a name it does not hold, at most once a minute (a channel created since)."""
        with self._channels_lock:
            now = self._clock()
            age = None if self._channels_loaded_at is None else now - self._channels_loaded_at
            stale = (
                age is None
                or age > self._renew_conversations
                or (name not in self._channels and age > MIN_REFRESH_ON_MISS_SECONDS)
            )
            if stale:
                try:
                    self._channels = self._list_conversations()
                    self._channels_loaded_at = now
                except SlackError as exc:
                    if name not in self._channels:
                        raise
                    log.warning("cannot renew the channel list (%s); using the cached one", exc.code)
            conversation = self._channels.get(name)
        if conversation is None:
            raise SlackError(CHANNEL_NOT_FOUND)
        return conversation

    def _list_conversations(self) -> dict[str, Conversation]:
        channels: dict[str, Conversation] = {}
        cursor = None
        while True:
            kwargs: dict[str, Any] = {"exclude_archived": True, "limit": CONVERSATIONS_PAGE_SIZE}
            if cursor:
                kwargs["cursor"] = cursor
            page = call(self.client.conversations_list, **kwargs)
            for channel in page.get("channels") or []:
                topic = (channel.get("topic") or {}).get("value") or ""
                channels[channel.get("name", "")] = Conversation(channel.get("id", ""), channel.get("name", ""), topic)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                log.info("channel list loaded: %d channels", len(channels))
                return channels
