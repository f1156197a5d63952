"""A fake Slack for the Slack pack's tests: the Web API methods the pack calls and a Socket Mode
WebSocket endpoint, served together on a free loopback port.

The pack reaches it exactly as it reaches Slack: ``WebClient(base_url=...)`` for the Web API
(``FLYTE_SLACK_API_URL``), and ``apps.connections.open`` hands out a ``ws://`` URL to this server,
to which slack_sdk's built-in Socket Mode client connects. Tests push Events API envelopes down
that WebSocket and read back the acknowledgements the pack sends.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.packs.waiting import wait_until

BOT_USER = "UBOT"
BOT_ID = "BBOT"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@dataclass
class SlackCall:
    method: str
    args: dict[str, Any]
    token: str
    at: float


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def slack_user(user_id: str, name: str, email: str = "", title: str = "", first: str = "", last: str = "") -> dict[str, Any]:
    """A users.info ``user`` object."""
    return {
        "id": user_id,
        "name": name,
        "real_name": f"{first} {last}".strip(),
        "profile": {"email": email, "title": title, "first_name": first, "last_name": last},
    }


class FakeSlack:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.calls: list[SlackCall] = []
        self.users: dict[str, dict[str, Any]] = {BOT_USER: slack_user(BOT_USER, "flyte", first="Flyte", last="Bot")}
        self.channels: list[dict[str, Any]] = []  # conversations.list, in order
        self.members_of: set[str] = set()  # channels the bot is in (else not_in_channel)
        self.posted: list[dict[str, Any]] = []  # accepted chat.postMessage arguments
        self.acks: dict[str, dict[str, Any]] = {}
        self._scripted: dict[str, list[Scripted]] = {}
        self._sockets: list[socket.socket] = []
        self._ts = itertools.count(1)
        self._envelopes = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.headers.get("Upgrade", "").lower() == "websocket":
                    fake._websocket(self)
                else:
                    fake._api(self)

            def do_POST(self) -> None:
                fake._api(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.api_url = f"http://127.0.0.1:{self.port}/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    # -- set-up and inspection ------------------------------------------------------------------

    def add_channel(self, channel_id: str, name: str, topic: str = "", member: bool = True) -> None:
        self.channels.append(
            {"id": channel_id, "name": name, "is_archived": False, "topic": {"value": topic, "creator": "", "last_set": 0}}
        )
        if member:
            self.members_of.add(channel_id)

    def script(self, method: str, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """Answer the next call of ``method`` with this response instead of the normal one."""
        with self.cond:
            self._scripted.setdefault(method, []).append(Scripted(status, body, headers or {}))

    def calls_of(self, method: str) -> list[SlackCall]:
        with self.cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        return wait_until(self.cond, predicate, timeout)

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return self.wait_for(lambda: bool(self._sockets), timeout)

    def push_event(self, event: dict[str, Any], retry_attempt: int = 0, event_id: str | None = None) -> str:
        """Send an Events API envelope over the Socket Mode connection; returns its id. A
        redelivery has the first delivery's ``event_id`` and a ``retry_attempt`` above 0."""
        envelope_id = f"env-{next(self._envelopes)}"
        payload = {
            "token": "verification",
            "team_id": "T1",
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{envelope_id}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
        }
        self._send_ws(
            {
                "envelope_id": envelope_id,
                "type": "events_api",
                "payload": payload,
                "accepts_response_payload": False,
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        return envelope_id

    def push_interaction(self, payload: dict[str, Any]) -> str:
        """Send an interactivity payload (a button clicked) over the Socket Mode connection."""
        envelope_id = f"env-{next(self._envelopes)}"
        self._send_ws({"envelope_id": envelope_id, "type": "interactive", "payload": payload, "accepts_response_payload": True})
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> bool:
        return self.wait_for(lambda: envelope_id in self.acks, timeout)

    def close(self) -> None:
        with self.cond:
            sockets, self._sockets = list(self._sockets), []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server.shutdown()
        self.server.server_close()

    # -- Web API -------------------------------------------------------------------------------

    def _api(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        method = parts.path.rsplit("/", 1)[-1]
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length).decode() if length else ""
        args: dict[str, Any] = dict(parse_qsl(parts.query))
        if raw and h.headers.get("Content-Type", "").startswith("application/json"):
            args.update(json.loads(raw))
        elif raw:
            args.update(parse_qsl(raw))
        token = (h.headers.get("Authorization") or "").removeprefix("Bearer ")
        with self.cond:
            self.calls.append(SlackCall(method, args, token, time.monotonic()))
            scripted = self._scripted.get(method)
            answer = scripted.pop(0) if scripted else None
            if answer is None:
                answer = Scripted(200, self._answer(method, args))
            self.cond.notify_all()
        data = json.dumps(answer.body).encode()
        h.send_response(answer.status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in answer.headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """Slack's normal answers (called with the lock held)."""
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "flyte",
                "team_id": "T1",
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket=t1&app_id=A1"}
        if method == "users.info":
            user = self.users.get(args.get("user", ""))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "chat.postMessage":
            channel = args.get("channel", "")
            if channel not in {c["id"] for c in self.channels}:
                return {"ok": False, "error": "channel_not_found"}
            if channel not in self.members_of:
                return {"ok": False, "error": "not_in_channel"}
            ts = f"1800000000.{next(self._ts):06d}"
            self.posted.append(dict(args))
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "message": {"text": args.get("text", ""), "user": BOT_USER, "bot_id": BOT_ID, "ts": ts},
            }
        if method == "conversations.list":
            start = int(args.get("cursor") or 0)
            limit = int(args.get("limit") or 100)
            page = [c for c in self.channels if not (args.get("exclude_archived") in ("1", "true", True) and c["is_archived"])][
                start : start + limit
            ]
            more = start + limit < len(self.channels)
            return {"ok": True, "channels": page, "response_metadata": {"next_cursor": str(start + limit) if more else ""}}
        return {"ok": False, "error": "unknown_method"}

    # -- Socket Mode WebSocket -----------------------------------------------------------------

    def _websocket(self, h: BaseHTTPRequestHandler) -> None:
        key = h.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        h.send_response(101, "Switching Protocols")
        h.send_header("Upgrade", "websocket")
        h.send_header("Connection", "Upgrade")
        h.send_header("Sec-WebSocket-Accept", accept)
        h.end_headers()
        h.wfile.flush()
        h.close_connection = True
        sock = h.connection
        with self.cond:
            self._sockets.append(sock)
            self.cond.notify_all()
        self._send_frame(
            sock, 0x1, json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}).encode()
        )
        try:
            while True:
                opcode, payload = self._read_frame(h.rfile)
                if opcode == 0x1:
                    message = json.loads(payload)
                    with self.cond:
                        if "envelope_id" in message:
                            self.acks[message["envelope_id"]] = message
                        self.cond.notify_all()
                elif opcode == 0x9:
                    self._send_frame(sock, 0xA, payload)
                elif opcode == 0x8:
                    self._send_frame(sock, 0x8, payload[:2])
                    break
        except (OSError, ValueError, EOFError):
            pass
        finally:
            with self.cond:
                if sock in self._sockets:
                    self._sockets.remove(sock)
                self.cond.notify_all()

    def _send_ws(self, message: dict[str, Any]) -> None:
        assert self.wait_connected(), "the pack is not connected over Socket Mode"
        with self.cond:
            sock = self._sockets[-1]
        self._send_frame(sock, 0x1, json.dumps(message).encode())

    def _send_frame(self, sock: socket.socket, opcode: int, payload: bytes) -> None:
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x80 | opcode, size)
        elif size < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 126, size)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
        with self.cond:  # one writer at a time per socket
            sock.sendall(header + payload)

    @staticmethod
    def _read_frame(rfile: Any) -> tuple[int, bytes]:
        def read(n: int) -> bytes:
            data = rfile.read(n)
            if len(data) < n:
                raise EOFError
            return data

        first, second = read(2)
        opcode, size = first & 0x0F, second & 0x7F
        if size == 126:
            size = struct.unpack("!H", read(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", read(8))[0]
        mask = read(4) if second & 0x80 else b"\0\0\0\0"
        data = read(size)
        return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


@pytest.fixture
def fake_slack():
    slack = FakeSlack()
    yield slack
    slack.close()


# -- Slack's side of the Events API: signed requests to a request URL (issue 20) -----------------------


def slack_signature(signing_secret: str, timestamp: str, body: str) -> str:
    """`X-Slack-Signature`: v0= HMAC-SHA256 of `v0:{timestamp}:{body}` with the app's signing secret."""
    import hmac

    return "v0=" + hmac.new(signing_secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()


def event_callback(event: dict[str, Any], event_id: str, event_time: int | None = None) -> str:
    """An Events API request body, as Slack sends it to the request URL."""
    return json.dumps(
        {
            "token": "verification",
            "team_id": "T1",
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": event_time or int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
        }
    )


def send_to_request_url(
    url: str,
    body: str,
    signing_secret: str,
    *,
    timestamp: float | None = None,
    retry: int = 0,
    content_type: str = "application/json",
    signature: str | None = None,
) -> Any:
    """POST a request as Slack does: signed, with the retry headers of a redelivery."""
    import requests

    stamp = str(int(time.time() if timestamp is None else timestamp))
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature or slack_signature(signing_secret, stamp, body),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    if retry:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    return requests.post(url, data=body.encode(), headers=headers, timeout=30)
