"""The original Go server as `flyte import --from` meets it: recorded answers
(tests/fixtures/original-api/index.json) served on a loopback port, byte for byte, with `{base}` made
the server's own base URL. Paths are matched once percent-decoded, as the original's router does;
what it has no answer for is the router's text 404. Every request is kept, to check nothing was
written."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "original-api"


class FakeOriginal:
    def __init__(self) -> None:
        index = json.loads((FIXTURES / "index.json").read_text(encoding="utf-8"))
        self.responses: dict[str, dict[str, Any]] = index["responses"]
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        original = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _answer(self) -> None:
                path = unquote(urlsplit(self.path).path)
                original.requests.append(f"{self.command} {path}")
                answer = original.responses.get(f"{self.command} {path}")
                if answer is None:
                    body, status, content_type = b"Not Found\n", 404, "text/plain; charset=utf-8"
                else:
                    body = (FIXTURES / answer["file"]).read_bytes() if "file" in answer else b""
                    if answer.get("contentType", "").startswith("application/json") and body:
                        body = body.replace(b"{base}", f"{original.url}/".encode())
                    status, content_type = answer["status"], answer.get("contentType")
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        return Handler

    def start(self) -> FakeOriginal:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
