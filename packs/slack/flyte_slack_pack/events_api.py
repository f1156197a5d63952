"""The Slack pack as a function behind an HTTP API (issue 20): nothing runs while nothing happens.

- `POST .../slack/events`: Slack's Events API and interactivity. Bolt checks Slack's signature and
  that its timestamp is within five minutes (a replayed request is refused), acknowledges within
  Slack's 3 s, and the listeners (`listeners.py`, the same as Socket Mode's) run afterwards as Bolt
  lazy listeners, in an asynchronous invocation of the same function. A delivery Slack retries
  (the same `event_id`) reaches Flyte once: `send` is given the envelope to make the event's id from it.
- `POST .../slack/actions`: the engine's push deliveries of the pack's commands (`SendMessage`, ...,
  the same commands as Socket Mode's), checked with the engine's signature and answered with the result.

The host supplies where the credentials come from, how to register the pack and how to send an
event (`functions/slack/app.py`: Secrets Manager, and the engine's services in-process).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flyte_pack import Pack
from flyte_pack.push import PushEndpoint

from .commands import commands
from .listeners import PACK_EVENTS, Send, SlackListeners
from .settings import DEFAULT_PACK_NAME, DEFAULT_RATE_LIMIT_RETRIES, DEFAULT_RENEW_CONVERSATIONS_HOURS, DEFAULT_SLACK_API_URL
from .slack import SlackGateway, make_web_client

log = logging.getLogger("flyte_slack_pack")

HELP_URL = "https://github.com/ExpediaGroup/flyte-slack/blob/master/README.md"
EVENTS_PATH = "slack/events"
ACTIONS_PATH = "slack/actions"
RECHECK_CREDENTIALS_SECONDS = 10.0  # credentials not set yet: look again at most this often


@dataclass(frozen=True)
class SlackCredentials:
    bot_token: str = field(repr=False)
    signing_secret: str = field(repr=False)

    @classmethod
    def parse(cls, document: str) -> SlackCredentials | None:
        """`{"botToken": "xoxb-...", "signingSecret": "..."}`; None while they are not set."""
        try:
            values = json.loads(document)
        except ValueError:
            return None
        token, secret = values.get("botToken"), values.get("signingSecret")
        if not (isinstance(token, str) and token and isinstance(secret, str) and secret):
            return None
        return cls(token, secret)

    @property
    def delivery_secret(self) -> str:
        """The secret the engine signs this pack's deliveries with, derived from the signing secret:
        every execution environment has it, and registering again keeps it the same."""
        return hmac.new(self.signing_secret.encode(), b"flyte push delivery v1", hashlib.sha256).hexdigest()


def _response(status: int, document: Any = None) -> dict[str, Any]:
    body = "" if document is None else json.dumps(document)
    return {"statusCode": status, "headers": {"Content-Type": "application/json"} if body else {}, "body": body}


class EventsApiPack:
    def __init__(
        self,
        credentials: Callable[[], SlackCredentials | None],
        register: Callable[[dict[str, Any], str], None],
        send: Send,
        flyte_api: str,
        pack_name: str = DEFAULT_PACK_NAME,
        api_url: str = DEFAULT_SLACK_API_URL,
        rate_limit_retries: int = DEFAULT_RATE_LIMIT_RETRIES,
        lambda_client: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = credentials
        self._register = register
        self._send = send
        # the stack's API: the pack registers for delivery to {flyte_api}slack/actions. From the
        # configuration, never from a request's headers, which a caller could set to another host.
        self.flyte_api = flyte_api if flyte_api.endswith("/") else flyte_api + "/"
        self.pack_name = pack_name
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.rate_limit_retries = rate_limit_retries
        self._lambda_client = lambda_client
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._ready: tuple[Any, PushEndpoint] | None = None  # (Bolt's request handler, the delivery endpoint)

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        ready = self._prepare()
        if ready is None:
            log.error("Slack's bot token and signing secret are not set yet: put them in the stack's Slack secret")
            return _response(503, {"error": "the Slack pack's credentials are not set yet"})
        bolt, deliveries = ready
        path = event.get("rawPath") or event.get("path") or ""
        if path.rstrip("/").endswith(ACTIONS_PATH):
            reply = deliveries.handle(event.get("headers") or {}, _body(event))
            return {"statusCode": reply.status, "headers": reply.headers, "body": reply.body.decode("utf-8")}
        return bolt.handle(event, context)

    # -- set-up, on the first request (Slack's credentials may be stored after the deploy) ----------------

    def _prepare(self) -> tuple[Any, PushEndpoint] | None:
        with self._lock:
            if self._ready is not None:
                return self._ready
            now = self._clock()
            if self._checked_at is not None and now - self._checked_at < RECHECK_CREDENTIALS_SECONDS:
                return None
            self._checked_at = now
            credentials = self._credentials()
            if credentials is None:
                return None
            ready, pack = self._build(credentials)
            self._register_pack(pack)  # once per environment; a failure is retried by the next request
            self._ready = ready
            return self._ready

    def _build(self, credentials: SlackCredentials) -> tuple[tuple[Any, PushEndpoint], Pack]:
        from slack_bolt import App
        from slack_bolt.adapter.aws_lambda import SlackRequestHandler

        client = make_web_client(credentials.bot_token, self.api_url, self.rate_limit_retries)
        gateway = SlackGateway(client, DEFAULT_RENEW_CONVERSATIONS_HOURS * 3600.0)
        # auth.test tells Bolt the bot's own ids, so the pack's own messages and reactions are dropped
        app = App(
            client=client, signing_secret=credentials.signing_secret, process_before_response=True, name=f"flyte-{self.pack_name}"
        )
        SlackListeners(gateway, self._send).attach(app, lazy=True)
        bolt = SlackRequestHandler(app)
        if self._lambda_client is not None:
            app.listener_runner.lazy_listener_runner.lambda_client = self._lambda_client  # type: ignore[attr-defined]
        pack = Pack(
            self.pack_name,
            commands=commands(gateway),
            events=PACK_EVENTS,
            help_url=HELP_URL,
            api_url=self.flyte_api,
            delivery_url=self.flyte_api + ACTIONS_PATH,
            delivery_secret=credentials.delivery_secret,
            env={},
        )
        return (bolt, PushEndpoint(pack, inline=True)), pack

    def _register_pack(self, pack: Pack) -> None:
        """Register the pack for push delivery to this function's own route (its definition, with the
        delivery URL and the secret derived from Slack's signing secret)."""
        self._register(pack.definition(), self.flyte_api)
        log.info("registered pack %r for push delivery to %s", self.pack_name, pack.config.delivery_url)


def _body(event: Mapping[str, Any]) -> bytes:
    import base64

    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
