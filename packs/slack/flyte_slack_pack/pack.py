"""The Slack pack: a Bolt app on Socket Mode that forwards Slack events to Flyte, and a
``flyte_pack.Pack`` that runs the commands.

Socket Mode needs no public endpoint: the pack opens a WebSocket to Slack (``apps.connections.open``
with the app-level token), Bolt acknowledges each envelope at once and runs the listeners in its
executor, which look the users up and send the Flyte events.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from flyte_pack import Event, FlyteAPIError, Pack

from .commands import commands
from .events import RecentEvents
from .listeners import PACK_EVENTS, SlackListeners
from .settings import SlackSettings
from .slack import SlackError, SlackGateway, call, web_client

log = logging.getLogger("flyte_slack_pack")

HELP_URL = "https://github.com/ExpediaGroup/flyte-slack/blob/master/README.md"
LISTENER_THREADS = 5


class SlackPack:
    """The pack's two halves and their lifecycle. ``run()`` is the program; ``start()`` and
    ``stop()`` run it in the background (tests, embedding). ``pack_kwargs`` go to
    :class:`flyte_pack.Pack` and win over ``env`` (default ``os.environ``)."""

    def __init__(
        self, settings: SlackSettings, env: Mapping[str, str] | None = None, client: WebClient | None = None, **pack_kwargs: Any
    ) -> None:
        self.settings = settings
        self.client = client or web_client(settings)
        self.slack = SlackGateway(self.client, settings.renew_conversations_seconds)
        pack_kwargs.setdefault("help_url", HELP_URL)
        self.pack = Pack(settings.pack_name, commands=commands(self.slack), events=PACK_EVENTS, env=env, **pack_kwargs)
        self._listeners = ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="slack-event")
        # auth.test here tells Bolt the bot's own ids, so its middleware drops the bot's own
        # messages and reactions (no reply loops); a bad token fails now, not on first event.
        self.app = App(client=self.client, listener_executor=self._listeners, name=f"flyte-{settings.pack_name}")
        SlackListeners(self.slack, self._send).attach(self.app)
        self._recent = RecentEvents()
        self._socket: SocketModeHandler | None = None

    # -- Slack events -> Flyte events (listeners.py, shared with the Events API mode) ------------------

    def _send(self, event: Event, body: Mapping[str, Any]) -> None:
        if not self._recent.first_time(body.get("event_id")):
            log.info("ignoring event %s: Slack delivered it again", body.get("event_id"))
            return
        try:
            self.pack.send_event(event)
        except FlyteAPIError as exc:  # Slack has had its ack: all we can do is say it is lost
            log.error("could not send event %r to Flyte, it is lost: %s", event.name, exc)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Register the pack and poll for actions in the background, then connect to Slack.
        Raises :class:`SlackError` (the pack stopped again) if Slack refuses the connection."""
        self.pack.start(block=False)
        self._socket = SocketModeHandler(self.app, self.settings.app_token)
        try:
            call(self._socket.connect)
        except SlackError:  # e.g. invalid_auth: a wrong app-level token
            self.stop()
            raise
        log.info("connected to Slack over Socket Mode as pack %r", self.settings.pack_name)

    def stop(self, timeout: float | None = None) -> bool:
        """Stop gracefully: first stop listening to Slack and let the events being forwarded go
        out, then stop the pack (actions in flight finish and their results are posted)."""
        if self._socket is not None:
            close_without_waiting_out_the_read(self._socket)
            self._socket = None
        self._listeners.shutdown(wait=True)
        return self.pack.stop(timeout)

    def run(self) -> None:
        """The program: run until SIGINT/SIGTERM, then stop gracefully; a second signal exits
        at once. (The SDK's own blocking start would stop the pack before Slack: events
        arriving meanwhile would find no pack to send them.)"""
        stopping = threading.Event()

        def on_signal(signum: int, _frame: object) -> None:
            name = signal.Signals(signum).name
            if stopping.is_set():
                log.error("%s received again: exiting now", name)
                os._exit(128 + signum)
            log.info("%s received: stopping gracefully (send it again to exit at once)", name)
            stopping.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, on_signal)
        self.start()
        while not stopping.wait(1.0) and self.pack.running:
            pass
        self.stop()


def close_without_waiting_out_the_read(handler: SocketModeHandler) -> None:
    """Close the Socket Mode connection at once. slack_sdk's close() waits for the lock its reader
    holds through each read of the socket, which lasts up to 3 s when Slack sends nothing, so a
    stop took 3 s more than it needed. Ending the session first (as close() does, so that nothing
    reconnects) and shutting the socket down ends that read now; close() then finds the lock free."""
    client = handler.client
    client.closed = True
    client.auto_reconnect_enabled = False
    client.current_session_state.terminated = True
    session = client.current_session
    if session is not None and session.sock is not None:
        with contextlib.suppress(OSError):  # already closed by Slack
            session.sock.shutdown(socket.SHUT_RDWR)
    handler.close()
