"""`flyte events send` posts with one Idempotency-Key and retries with it when the API cannot
answer, so a retried event is stored once (issue 30)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flyte_cli.api import Api, Refused


@pytest.fixture
def flaky_api():
    """Answers the first `failures` posts 503 (Retry-After: 0), then 202; records every key."""
    seen: list[str | None] = []
    script = {"failures": 2, "status": 503}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(self.headers.get("Idempotency-Key"))
            failing = script["failures"] > 0
            script["failures"] -= 1
            self.send_response(script["status"] if failing else 202)
            if failing:
                self.send_header("Retry-After", "0")
                self.send_header("Content-Type", "application/problem+json")
                body = b'{"status": 503, "title": "Service Unavailable", "detail": "DynamoDB throttled"}'
            else:
                self.send_header("Location", "/v1/audit/events/e1")
                body = b""
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen, script
    server.shutdown()


def test_a_post_the_api_could_not_answer_is_retried_with_the_same_key(flaky_api):
    url, seen, _ = flaky_api
    api = Api(url)
    response = api.post_once(f"{url}/v1/packs/p/events", json={"event": "E"})
    assert response.status_code == 202 and response.headers["Location"].endswith("/e1")
    assert len(seen) == 3 and len(set(seen)) == 1 and seen[0]
    api.post_once(f"{url}/v1/packs/p/events", json={"event": "E"})
    assert seen[3] != seen[0]  # a new post, a new key


def test_a_refusal_is_not_retried(flaky_api):
    url, seen, script = flaky_api
    script["status"] = 409
    with pytest.raises(Refused):
        Api(url).post_once(f"{url}/v1/packs/p/events", json={"event": "E"})
    assert len(seen) == 1
