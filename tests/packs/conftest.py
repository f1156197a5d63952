"""Fixtures for the pack SDK and Shell pack tests: a small fake Flyte API served in-process.

The fake speaks the pack protocol (api-contract §2.1, §3, §4) but puts every resource under a path
prefix and at deliberately unusual paths, so that a client which builds any URL other than
``{FLYTE_API}/v1`` by hand fails. Links are absolute, rels are the documentation rels of api-contract §1.2.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.packs.waiting import wait_until

PREFIX = "/some/prefix"


@dataclass
class FakeAction:
    id: str
    pack_id: str
    command: str
    input: Any
    state: str = "NEW"
    result: dict[str, Any] | None = None
    result_path: str | None = None


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeFlyteAPI:
    prefix: str = PREFIX
    jwt: str | None = None  # when set, every request must carry "Authorization: Bearer <jwt>"
    register_failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    result_failures: int = 0  # answer this many result posts with 503 first
    issued_secret: str = "secret-made-by-the-fake-engine"  # what a push registration without a secret gets
    event_failures: int = 0  # answer this many event posts with 503 (Retry-After: 0) first
    ready: bool = False  # serve the ready long poll (issue 21) as this engine does, not only the original's take

    def __post_init__(self) -> None:
        self.cond = threading.Condition()
        self.packs: dict[str, dict[str, Any]] = {}
        self.registrations: list[dict[str, Any]] = []
        self.queues: dict[str, deque[FakeAction]] = {}
        self.actions: dict[str, FakeAction] = {}
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.requests: list[Recorded] = []
        self.unmatched: list[str] = []
        self.take_waits: list[int] = []
        self.parked_ready_polls = 0
        self.outstanding = 0
        self.max_outstanding = 0
        self._ids = itertools.count(1)
        self._takes_answer_at_once = False
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                api._dispatch(self, "GET")

            def do_POST(self) -> None:
                api._dispatch(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.server.daemon_threads = True
        self.server.server_bind()  # bound but not listening: connections are refused
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = self.base + self.prefix  # what FLYTE_API is set to
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------

    def start(self) -> FakeFlyteAPI:
        self.server.server_activate()
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def answer_parked_takes(self) -> None:
        """From now on answer every take, the parked ones too, at once (204 when nothing is queued), as a
        server may before a long poll's wait ends: a pack asked to stop then stops without waiting it out."""
        with self.cond:
            self._takes_answer_at_once = True
            self.cond.notify_all()

    def close(self) -> None:
        self.answer_parked_takes()
        if self._thread:
            self.server.shutdown()
        self.server.server_close()

    def enqueue(self, command: str, input: Any = None, pack_id: str | None = None) -> str:
        with self.cond:
            if pack_id is None:
                assert len(self.packs) == 1, f"which pack? {list(self.packs)}"
                pack_id = next(iter(self.packs))
            action = FakeAction(id=f"a{next(self._ids):04d}", pack_id=pack_id, command=command, input=input)
            self.actions[action.id] = action
            self.queues.setdefault(pack_id, deque()).append(action)
            self.cond.notify_all()
            return action.id

    def pending(self, command: str, input: Any = None, pack_id: str | None = None) -> tuple[str, dict[str, Any]]:
        """An action already PENDING for a push pack, and the delivery the engine would POST for it."""
        with self.cond:
            if pack_id is None:
                assert len(self.packs) == 1, f"which pack? {list(self.packs)}"
                pack_id = next(iter(self.packs))
            action = FakeAction(id=f"a{next(self._ids):04d}", pack_id=pack_id, command=command, input=input, state="PENDING")
            action.result_path = f"{self.prefix}/outcomes/{pack_id}/{action.id}"
            self.actions[action.id] = action
            self.outstanding += 1
        link = {"href": self.base + action.result_path, "rel": f"{self.base}/swagger#/actionResult"}
        return action.id, {"id": action.id, "command": command, "input": input, "links": [link]}

    def forget_pack(self, pack_id: str) -> None:
        """Delete the pack, as the dead-pack reaper would."""
        with self.cond:
            del self.packs[pack_id]
            self.cond.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        return wait_until(self.cond, predicate, timeout)

    def result_of(self, action_id: str, timeout: float = 10.0) -> dict[str, Any]:
        assert self.wait_for(lambda: self.actions[action_id].result is not None, timeout), (
            f"no result for action {action_id} (state {self.actions[action_id].state})"
        )
        return self.actions[action_id].result  # type: ignore[return-value]

    # -- protocol --------------------------------------------------------------------------

    def _links_v1(self) -> list[dict[str, str]]:
        b = self.base + "/"
        p = self.url
        return [
            {"href": f"{p}/v1", "rel": "self"},
            {"href": f"{p}/", "rel": "up"},
            {"href": f"{b}swagger#!/info/v1", "rel": "help"},
            {"href": f"{p}/healthz", "rel": f"{b}swagger#!/info/health"},
            {"href": f"{p}/v1/flows-elsewhere", "rel": f"{b}swagger#!/flow/listFlows"},
            {"href": f"{p}/v1/registry-of-packs", "rel": f"{b}swagger#!/pack/listPacks"},
            {"href": f"{p}/v1/audit/flows", "rel": f"{b}swagger#!/flowAudit/findFlows"},
        ]

    def _pack_representation(self, pack_id: str, body: dict[str, Any]) -> dict[str, Any]:
        b = self.base + "/"
        p = self.url
        rep = {"id": pack_id, "name": body.get("name", "")}
        if body.get("labels"):
            rep["labels"] = body["labels"]
        if body.get("commands"):
            rep["commands"] = [
                dict(
                    c,
                    links=[
                        {
                            "href": f"{p}/queues/{pack_id}/next-action?commandName={c['name']}",
                            "rel": f"{b}swagger#!/action/takeAction",
                        }
                    ],
                )
                for c in body["commands"]
            ]
        if body.get("events"):
            rep["events"] = body["events"]
        rep["lastSeen"] = "2024-01-01T00:00:00Z"
        if isinstance(body.get("delivery"), dict):  # a push pack (issue 20): a secret is made when none is given
            rep["delivery"] = {"url": body["delivery"].get("url")}
            if not body["delivery"].get("secret"):
                rep["delivery"]["secret"] = self.issued_secret
        rep["links"] = [
            *(body.get("links") or []),
            {"href": f"{p}/v1/registry-of-packs/{pack_id}", "rel": "self"},
            {"href": f"{p}/v1/registry-of-packs", "rel": "up"},
            {"href": f"{p}/queues/{pack_id}/next-action", "rel": f"{b}swagger#!/action/takeAction"},
            {"href": f"{p}/inbox/{pack_id}", "rel": f"{b}swagger#/event"},
        ]
        if self.ready:
            rep["links"].append({"href": f"{p}/queues/{pack_id}/anything-yet", "rel": f"{b}swagger#!/action/actionReady"})
        rep["status"] = "live"
        return rep

    def _dispatch(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = ValueError
        headers = {k.lower(): v for k, v in h.headers.items()}
        with self.cond:
            self.requests.append(Recorded(method, parts.path, parse_qs(parts.query), headers, body))
            self.cond.notify_all()
        if self.jwt is not None and headers.get("authorization") != f"Bearer {self.jwt}":
            return self._problem(h, 401, "Unauthorized", "missing or wrong bearer token")
        if body is ValueError:
            return self._problem(h, 400, "Bad Request", "body is not JSON")
        path = parts.path
        pre = re.escape(self.prefix)
        if method == "GET" and path == f"{self.prefix}/v1":
            return self._send(h, 200, {"links": self._links_v1()})
        if method == "POST" and path == f"{self.prefix}/v1/registry-of-packs":
            return self._register(h, body)
        if method == "POST" and (m := re.fullmatch(pre + r"/queues/([^/]+)/next-action", path)):
            return self._take(h, m.group(1), parse_qs(parts.query))
        if method == "GET" and self.ready and (m := re.fullmatch(pre + r"/queues/([^/]+)/anything-yet", path)):
            return self._ready(h, m.group(1), parse_qs(parts.query))
        if method == "POST" and (m := re.fullmatch(pre + r"/inbox/([^/]+)", path)):
            return self._event(h, m.group(1), body)
        if method == "POST" and (m := re.fullmatch(pre + r"/outcomes/([^/]+)/([^/]+)", path)):
            return self._result(h, m.group(1), m.group(2), body, path)
        with self.cond:
            self.unmatched.append(f"{method} {path}")
        return self._problem(h, 404, "Not Found", f"no route for {method} {path}")

    def _register(self, h: BaseHTTPRequestHandler, body: Any) -> None:
        with self.cond:
            if self.register_failures:
                status, problem = self.register_failures.pop(0)
                self.registrations.append({"rejected": body})
                self.cond.notify_all()
                return self._problem(h, status, problem.get("title", ""), problem.get("detail", ""))
            labels = body.get("labels") or {}
            pack_id = body.get("name", "") + "".join(f".{k}.{labels[k]}" for k in sorted(labels))
            self.packs[pack_id] = body
            self.registrations.append(body)
            self.queues.setdefault(pack_id, deque())
            self.cond.notify_all()
        self._send(h, 201, self._pack_representation(pack_id, body), {"Location": f"{self.url}/v1/registry-of-packs/{pack_id}"})

    def _take(self, h: BaseHTTPRequestHandler, pack_id: str, query: dict[str, list[str]]) -> None:
        wait = max(0, min(20, int((query.get("wait") or ["0"])[0])))
        deadline = time.monotonic() + wait
        with self.cond:
            self.take_waits.append(wait)
            while True:
                if pack_id not in self.packs:
                    return self._problem(h, 404, "Not Found", f"pack {pack_id} is not registered")
                queue = self.queues.get(pack_id)
                if queue:
                    action = queue.popleft()
                    action.state = "PENDING"
                    action.result_path = f"{self.prefix}/outcomes/{pack_id}/{action.id}"
                    self.outstanding += 1
                    self.max_outstanding = max(self.max_outstanding, self.outstanding)
                    self.cond.notify_all()
                    break
                left = deadline - time.monotonic()
                if left <= 0 or self._takes_answer_at_once:
                    h.send_response(204)
                    h.send_header("Content-Length", "0")
                    h.end_headers()
                    return
                self.cond.wait(left)
        self._send(
            h,
            200,
            {
                "command": action.command,
                "input": action.input,
                "links": [{"href": self.base + action.result_path, "rel": f"{self.base}/swagger#/actionResult"}],
            },
        )

    def _ready(self, h: BaseHTTPRequestHandler, pack_id: str, query: dict[str, list[str]]) -> None:
        """SQS ReceiveMessage's answer as API Gateway passes it through: a message when an action is queued."""
        deadline = time.monotonic() + max(0, min(20, int((query.get("wait") or ["0"])[0])))
        with self.cond:
            self.parked_ready_polls += 1
            self.cond.notify_all()
            try:
                while not self.queues.get(pack_id) and not self._takes_answer_at_once:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self.cond.wait(left)
                waiting = bool(self.queues.get(pack_id))
            finally:
                self.parked_ready_polls -= 1
        self._send(h, 200, {"Messages": [{"Body": "{}", "MessageId": "m", "ReceiptHandle": "r"}]} if waiting else {})

    def _event(self, h: BaseHTTPRequestHandler, pack_id: str, body: Any) -> None:
        with self.cond:
            if self.event_failures:
                self.event_failures -= 1
                return self._send(h, 503, {"title": "Service Unavailable", "detail": "DynamoDB throttled"}, {"Retry-After": "0"})
            if pack_id not in self.packs:
                return self._problem(h, 404, "Not Found", f"pack {pack_id} is not registered")
            self.events.append((pack_id, body))
            self.cond.notify_all()
        self._send(h, 202, None)

    def _result(self, h: BaseHTTPRequestHandler, pack_id: str, action_id: str, body: Any, path: str) -> None:
        with self.cond:
            if self.result_failures:
                self.result_failures -= 1
                return self._problem(h, 503, "Service Unavailable", "try again")
            if pack_id not in self.packs:
                return self._problem(h, 404, "Not Found", f"pack {pack_id} is not registered")
            action = self.actions.get(action_id)
            if action is None or action.pack_id != pack_id:
                return self._problem(h, 404, "Not Found", f"action {action_id} not found")
            if action.state != "PENDING":
                return self._problem(h, 409, "Conflict", f"action {action_id} is {action.state}")
            action.state = "FATAL" if body.get("event") == "FATAL" else "SUCCESS"
            action.result = body
            self.outstanding -= 1
            self.cond.notify_all()
        self._send(h, 202, None)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        h.send_response(status)
        if data:
            h.send_header("Content-Type", "application/json; charset=utf-8")
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    @staticmethod
    def _problem(h: BaseHTTPRequestHandler, status: int, title: str, detail: str) -> None:
        data = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/problem+json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


class FakeAPIs:
    """Makes fake APIs for a test (``fake_api_factory``) and remembers them."""

    def __init__(self) -> None:
        self.made: list[FakeFlyteAPI] = []

    def __call__(self, start: bool = True, **kwargs: Any) -> FakeFlyteAPI:
        api = FakeFlyteAPI(**kwargs)
        self.made.append(api)
        return api.start() if start else api


def stop_packs(packs: list[Any], apis: list[FakeFlyteAPI]) -> None:
    """Stop packs (SDK or Slack) at a test's end, all at once: each is asked to stop, the fakes then
    answer the takes the packs parked there, and each must have stopped within 15 s."""
    for pack in packs:
        pack.stop(timeout=0)
    for api in apis:
        api.answer_parked_takes()
    for pack in packs:
        assert pack.stop(timeout=15), f"pack {pack!r} did not stop"


@pytest.fixture
def fake_api_factory():
    """Make fake APIs (started unless ``start=False``); all are closed after the test."""
    apis = FakeAPIs()
    yield apis
    for api in apis.made:
        api.close()


@pytest.fixture
def fake_api(fake_api_factory) -> FakeFlyteAPI:
    return fake_api_factory()


# Fast settings for tests: short long-poll, quick retries.
FAST = {"poll_wait": 1, "retry_interval": 0.1, "poll_interval": 0.1, "timeout": 5}


@pytest.fixture
def run_pack(fake_api_factory):
    """Start packs in the background with fast settings; stops them after the test."""
    from flyte_pack import Pack

    started: list[Pack] = []

    def start(pack: Pack, wait_registered: bool = True) -> Pack:
        started.append(pack)
        pack.start(block=False)
        if wait_registered:
            assert pack.wait_registered(10), "pack did not register"
        return pack

    yield start
    stop_packs(started, fake_api_factory.made)


@pytest.fixture
def fast() -> dict[str, Any]:
    return dict(FAST)
