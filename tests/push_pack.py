"""A push pack's endpoint for the tests (issue 20): an HTTP server on a loopback port that records each
delivery with whether its signature held, and answers as the test scripts it (status, body, delay,
or a redirect), 200 with a result by default."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    signed: bool  # the signature held for the secret the pack knows (None secret: unknown yet)
    at: float

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def result_url(self) -> str:
        return next(link["href"] for link in self.document["links"] if link["rel"].endswith("actionResult"))


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON, or bytes as they are
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a pack in any language does with the two headers (README: push delivery)."""
    expected = "v1=" + hmac.new(secret.encode(), f"v1:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))


class FakePushPack:
    def __init__(self, secret: str | None = None, host: str = "127.0.0.1") -> None:
        self.secret = secret
        self.cond = threading.Condition()
        self.deliveries: list[Delivery] = []
        self.replies: list[Reply] = []
        self.default: Callable[[dict[str, Any]], Reply] = lambda document: Reply(
            200, {"event": "Done", "payload": {"echo": document.get("input")}}
        )
        pack = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                pack._answer(self, body)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}/flyte/actions"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def script(self, *replies: Reply) -> None:
        with self.cond:
            self.replies.extend(replies)

    def _answer(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k: v for k, v in h.headers.items()}
        signed = bool(
            self.secret and verify(self.secret, headers.get("X-Flyte-Timestamp", ""), body, headers.get("X-Flyte-Signature", ""))
        )
        try:
            document = json.loads(body)
        except ValueError:
            document = {}
        with self.cond:
            self.deliveries.append(Delivery(headers, body, signed, time.monotonic()))
            reply = self.replies.pop(0) if self.replies else self.default(document)
            self.cond.notify_all()
        if reply.delay:
            time.sleep(reply.delay)
        data = reply.body if isinstance(reply.body, bytes) else (b"" if reply.body is None else json.dumps(reply.body).encode())
        try:
            h.send_response(reply.status)
            for name, value in reply.headers.items():
                h.send_header(name, value)
            if data:
                h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:  # the engine gave up waiting (a timeout test)
            pass

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.deliveries) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.deliveries)} deliveries within {timeout} s, expected {count}")
                self.cond.wait(min(left, 0.1))
            return list(self.deliveries)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
