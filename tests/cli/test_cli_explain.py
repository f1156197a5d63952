"""The commands whose endpoints the server does not have yet (issue 12's dry run, traces and replay),
run as a user would against a fake API that answers with the issue's exact shapes; also the token
issuer of issue 11 (real, over moto), profiles, the bearer token, and lists the API sends in pages.
The fake puts resources at
unusual paths, so a URL the CLI built by hand instead of from a link would miss; where it advertises
the new endpoints, it does so only by their `/v1` rels.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from flyte_core.adapters.auth_store import AuthStore
from flyte_core.adapters.aws import Aws
from flyte_core.http.auth.issuer import BuiltInIssuer
from flyte_core.http.auth.tokens import TokenVerifier

from .conftest import run_flyte

DOC = "swagger#!"
FIRED = {
    "id": "ask",
    "outcome": "fired",
    "reason": None,
    "detail": None,
    "context": {"Who": "U1"},
    "command": {"packName": "Shell", "name": "Shell", "packLabels": {"env": "dev"}, "input": "date"},
}
NOT_MATCHED = {
    "id": "reply",
    "outcome": "skipped",
    "reason": "criteria",
    "context": {},
    "detail": "criteria rendered 'False' for message 'hello' [a-z]+ :x:",
}
BAD_TEMPLATE = {
    "id": "tell",
    "outcome": "skipped",
    "reason": "template",
    "context": None,
    "detail": "command.input: unknown filter 'shout' (line 1, column 12)",
}
FLOW = {
    "name": "hello",
    "steps": [
        {
            "id": "ask",
            "event": {"packName": "Slack", "name": "ReceivedMessage"},
            "command": {"packName": "Shell", "name": "Shell", "input": "date"},
        }
    ],
}
EVENT = {"packName": "Slack", "packLabels": {}, "event": "ReceivedMessage", "payload": {"message": "hello"}}


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeApi:
    """Links at unusual paths; answers registered per (method, path); API Gateway's 404 otherwise."""

    advertise: bool
    url: str = ""
    answers: dict[tuple[str, str], tuple[int, dict[str, str], Any]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def links(self) -> list[dict[str, str]]:
        links = [
            {"href": f"{self.url}/x/v1", "rel": "self"},
            {"href": f"{self.url}/x/packs", "rel": f"{self.url}/{DOC}/pack/listPacks"},
            {"href": f"{self.url}/x/flows", "rel": f"{self.url}/{DOC}/flow/listFlows"},
            {"href": f"{self.url}/x/store", "rel": f"{self.url}/{DOC}/datastore/listDatastoreItems"},
            {"href": f"{self.url}/x/audit/flows", "rel": f"{self.url}/{DOC}/flowAudit/findFlows"},
        ]
        if self.advertise:
            links += [
                {"href": f"{self.url}/elsewhere/dry-run", "rel": f"{self.url}/{DOC}/flow/testFlow"},
                {"href": f"{self.url}/elsewhere/replays", "rel": f"{self.url}/{DOC}/flow/replayFlow"},
                {"href": f"{self.url}/elsewhere/traces", "rel": f"{self.url}/{DOC}/eventAudit/findEvents"},
            ]
        return links

    def answer(self, method: str, path: str, body: Any = None, status: int = 200, **headers: str) -> None:
        self.answers[(method, path)] = (status, headers, body)

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]


def _handler(fake: FakeApi):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _serve(self):
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            fake.seen.append(
                Seen(self.command, parts.path, parse_qs(parts.query), dict(self.headers), json.loads(raw) if raw else None)
            )
            if parts.path == "/v1" and self.command == "GET":
                status, headers, body = 200, {}, {"links": fake.links()}
            else:
                status, headers, body = fake.answers.get((self.command, parts.path), (404, {}, {"message": "Not Found"}))
            payload = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            problem = isinstance(body, dict) and "title" in body
            self.send_header("content-type", "application/problem+json" if problem else "application/json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[[bool], FakeApi]]:
    servers = []

    def start(advertise: bool) -> FakeApi:
        api = FakeApi(advertise=advertise)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
        api.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return api

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=[True, False], ids=["advertised", "derived"])
def fake(request, serve) -> FakeApi:
    """Each new endpoint both ways: at the URL its `/v1` rel gives, and derived from the collections."""
    return serve(request.param)


@pytest.fixture
def plain(serve) -> FakeApi:
    """A server of today: none of the new endpoints."""
    return serve(False)


@pytest.fixture
def flyte(invoke):
    return lambda fake, *args, **kwargs: invoke(fake.url, *args, **kwargs)


def test_dry_run_of_a_document_and_of_a_stored_flow(fake, tmp_path, flyte):
    test_path = "/elsewhere/dry-run" if fake.advertise else "/x/flows/test"
    answer = {"flow": "hello", "steps": [FIRED, NOT_MATCHED, BAD_TEMPLATE]}
    fake.answer("POST", test_path, answer)
    fake.answer("POST", "/x/flows/hello/test", answer)
    (tmp_path / "flow.yaml").write_text(yaml.safe_dump(FLOW))
    (tmp_path / "event.json").write_text(json.dumps(EVENT))
    (tmp_path / "context.yaml").write_text("Who: U1\n")

    ran = flyte(
        fake,
        "flows",
        "test",
        "-f",
        str(tmp_path / "flow.yaml"),
        "--event",
        str(tmp_path / "event.json"),
        "--state",
        "ask=SUCCESS",
        "--context",
        str(tmp_path / "context.yaml"),
        "-o",
        "table",
    )
    assert ran.code == 0, ran.stderr
    assert fake.requests_to(test_path)[0].body == {
        "flow": FLOW,
        "event": EVENT,
        "states": {"ask": "SUCCESS"},
        "context": {"Who": "U1"},
    }
    rows = {line.split("│")[1].strip(): line for line in ran.stdout.splitlines() if line.count("│") > 2}
    assert "fired" in rows["ask"] and "Shell{env=dev}.Shell date" in rows["ask"]
    assert "skipped" in rows["reply"] and "criteria" in rows["reply"]
    assert "rendered 'False' for message 'hello' [a-z]+ :x:" in rows["reply"]  # as the API said it, no markup
    assert "template" in rows["tell"] and "unknown filter 'shout'" in ran.stdout

    stored = flyte(fake, "flows", "test", "hello", "--event", "-", input=yaml.safe_dump(EVENT))
    assert stored.code == 0 and json.loads(stored.stdout) == answer  # piped: the answer as JSON
    assert fake.requests_to("/x/flows/hello/test")[0].body == {"event": EVENT}

    assert flyte(fake, "flows", "test", "--event", str(tmp_path / "event.json")).code == 2  # neither NAME nor -f


def test_replay_shows_the_steps_whose_outcome_changes(fake, tmp_path, flyte):
    replay_path = "/elsewhere/replays" if fake.advertise else "/x/flows/replay"
    fake.answer(
        "POST",
        replay_path,
        {
            "flow": "hello",
            "eventsConsidered": 3,
            "unchanged": 2,
            "changes": [
                {"eventId": "ev-1", "stepId": "ask", "before": NOT_MATCHED, "after": FIRED},
                {"eventId": "ev-2", "stepId": "gone", "before": FIRED, "after": None},
            ],
        },
    )
    (tmp_path / "flow.json").write_text(json.dumps(FLOW))

    replayed = flyte(fake, "flows", "replay", "-f", str(tmp_path / "flow.json"), "--since", "P7D", "--limit", "10", "-o", "table")
    assert replayed.code == 0, replayed.stderr
    assert fake.requests_to(replay_path)[0].body == {"flow": FLOW, "since": "P7D", "limit": 10}
    assert "Replay of hello: 3 events considered, 2 changed, 2 unchanged" in replayed.stdout
    first = next(line for line in replayed.stdout.splitlines() if "ev-1" in line)
    assert first.index("skipped criteria") < first.index("fired Shell{env=dev}.Shell date")
    assert "- (no such step)" in next(line for line in replayed.stdout.splitlines() if "ev-2" in line)
    assert flyte(fake, "flows", "replay", "-f", str(tmp_path / "flow.json"), "--limit", "5000").code == 2


def test_why_an_event_did_or_did_not_fire_and_the_event_list(fake, flyte):
    events_path = "/elsewhere/traces" if fake.advertise else "/x/audit/events"
    trace = {
        "id": "ev-1",
        "event": "ReceivedMessage",
        "pack": {"id": "Slack", "name": "Slack", "labels": {}},
        "receivedAt": "2026-11-30T08:00:00Z",
        "status": "processed",
        "flows": [{"name": "hello", "correlationId": "c-1", "steps": [FIRED, NOT_MATCHED]}],
        "links": [],
    }
    fake.answer("GET", f"{events_path}/ev-1", trace)
    fake.answer(
        "GET",
        events_path,
        {
            "events": [
                {
                    "id": "ev-1",
                    "event": "ReceivedMessage",
                    "pack": trace["pack"],
                    "receivedAt": trace["receivedAt"],
                    "status": "processed",
                    "firedSteps": 1,
                }
            ],
            "links": [],
        },
    )

    why = flyte(fake, "events", "why", "ev-1", "-o", "table")
    assert why.code == 0, why.stderr
    assert "Event ev-1: Slack.ReceivedMessage received 2026-11-30T08:00:00Z, processed" in why.stdout
    reply = next(line for line in why.stdout.splitlines() if "reply" in line)
    assert "hello" in reply and "skipped" in reply and "criteria" in reply and "rendered 'False'" in reply
    assert yaml.safe_load(flyte(fake, "events", "why", "ev-1", "-o", "yaml").stdout) == trace

    listed = flyte(fake, "events", "list", "--pack", "Slack", "--event", "ReceivedMessage", "--limit", "5", "-o", "table")
    assert listed.code == 0, listed.stderr
    assert fake.requests_to(events_path)[0].query == {"packName": ["Slack"], "event": ["ReceivedMessage"], "limit": ["5"]}
    row = next(line for line in listed.stdout.splitlines() if "ev-1" in line)
    assert "Slack" in row and "processed" in row and row.rstrip(" │").endswith("1")


def test_events_send_prints_the_event_id_and_trace_and_sends_the_token(plain, flyte):
    fake = plain
    fake.answer(
        "GET",
        "/x/packs/p%2F1",
        {
            "id": "p/1",
            "name": "Slack",
            "links": [
                {"href": f"{fake.url}/x/packs/p%2F1", "rel": "self"},
                {"href": f"{fake.url}/deliver/p1", "rel": f"{fake.url}/swagger#/event"},
            ],
        },
    )
    fake.answer("POST", "/deliver/p1", None, 202, Location=f"{fake.url}/x/audit/events/ev-9")

    sent = flyte(fake, "--token", "t0ken", "events", "send", "p/1", "ReceivedMessage", "-p", '{"message": "hi"}', "-o", "table")
    assert sent.code == 0, sent.stderr
    assert sent.stdout.splitlines() == ["Event ev-9 accepted", f"Trace: {fake.url}/x/audit/events/ev-9  (flyte events why ev-9)"]
    posted = fake.requests_to("/deliver/p1")[0]
    assert posted.body == {"event": "ReceivedMessage", "payload": {"message": "hi"}}
    assert posted.headers["Authorization"] == "Bearer t0ken"

    scripted = flyte(fake, "events", "send", "p/1", "Other", env={"FLYTE_JWT": "from-env"})
    assert json.loads(scripted.stdout) == {"eventId": "ev-9", "trace": f"{fake.url}/x/audit/events/ev-9"}
    assert fake.requests_to("/deliver/p1")[1].headers["Authorization"] == "Bearer from-env"
    assert fake.requests_to("/deliver/p1")[1].body == {"event": "Other", "payload": None}


def test_a_missing_endpoint_is_named_and_a_404_problem_is_a_refusal(plain, tmp_path, flyte):
    fake = plain
    (tmp_path / "event.json").write_text(json.dumps(EVENT))
    missing = flyte(fake, "flows", "test", "-f", "-", "--event", str(tmp_path / "event.json"), input=json.dumps(FLOW))
    assert missing.code == 1
    assert f"This API does not offer dry runs of flows: POST {fake.url}/x/flows/test" in missing.stderr
    assert "does not offer event traces" in flyte(fake, "events", "why", "ev-1").stderr
    assert "does not offer the event audit" in flyte(fake, "events", "list").stderr

    fake.answer(
        "POST",
        "/x/flows/ghost/test",
        {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "No flow named 'ghost'."},
        404,
    )
    refused = flyte(fake, "flows", "test", "ghost", "--event", str(tmp_path / "event.json"))
    assert refused.code == 1
    assert "Error: Not Found (404)" in refused.stderr and "No flow named 'ghost'." in refused.stderr


def test_token_mint_signs_with_the_stacks_secret(aws, settings):
    """Issue 11's issuer exists: the real admin command, reading the secret from (moto's) Secrets Manager."""
    secret = {"issuer": "urn:flyte:cli-test", "key": "a-cli-test-signing-key-0123456789abcdef"}
    arn = aws.client("secretsmanager").create_secret(Name="flyte-cli-token", SecretString=json.dumps(secret))["ARN"]

    shell = {"AWS_ENDPOINT_URL": aws.endpoint}  # the admin's shell says where AWS is
    minted = run_flyte(
        "http://127.0.0.1:9",
        "token",
        "mint",
        "--claim",
        "groups=sre",
        "-c",
        "groups=dev",
        "-c",
        "sub=deploy-bot",
        "--ttl",
        "1h",
        "--secret-id",
        arn,
        env=shell,
    )
    assert minted.code == 0, minted.stderr
    identity = TokenVerifier([BuiltInIssuer.from_secret(AuthStore(Aws(settings.aws)).secret_string(arn))]).verify(
        minted.stdout.strip()
    )
    assert identity.caller().subject == "deploy-bot" and identity.claims["groups"] == ["sre", "dev"]
    assert identity.claims["exp"] - identity.claims["iat"] == 3600

    unreadable = run_flyte("http://127.0.0.1:9", "token", "mint", "--secret-id", "no-such-secret", env=shell)
    assert unreadable.code == 1 and "cannot use the token secret no-such-secret" in unreadable.stderr
    assert run_flyte("http://127.0.0.1:9", "token", "mint", "--claim", "groups").code == 2  # not K=V


def test_profiles_choose_the_api_and_token_and_options_win(serve, invoke, tmp_path):
    prod, other = serve(False), serve(False)
    for fake in (prod, other):
        fake.answer("GET", "/x/packs", {"packs": [], "links": []})
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {"default": "prod", "profiles": {"prod": {"api": prod.url, "token": "prod-token"}, "other": {"api": other.url}}}
        )
    )
    with_config = {"FLYTE_CONFIG": str(config)}

    assert invoke(None, "packs", "list", env=with_config).code == 0  # the file's default profile
    assert prod.requests_to("/x/packs")[0].headers["Authorization"] == "Bearer prod-token"
    assert invoke(None, "--profile", "other", "packs", "list", env=with_config).code == 0
    assert "Authorization" not in other.requests_to("/x/packs")[0].headers
    assert invoke(other.url, "--token", "mine", "packs", "list", env=with_config).code == 0  # FLYTE_API, --token win
    assert other.requests_to("/x/packs")[1].headers["Authorization"] == "Bearer mine"
    assert len(prod.requests_to("/x/packs")) == 1

    missing = invoke(None, "--profile", "staging", "packs", "list", env=with_config)
    assert missing.code == 1 and "No profile 'staging'" in missing.stderr and "(it has: other, prod)" in missing.stderr


@pytest.mark.parametrize(
    ("command", "path", "key", "shown", "entry"),
    [
        ("flows", "/x/flows", "flows", "name", lambda n: {"name": f"flow-{n}"}),
        ("packs", "/x/packs", "packs", "id", lambda n: {"id": f"pack-{n}", "name": "Shell", "status": "live"}),
        ("datastore", "/x/store", "datastore", "key", lambda n: {"key": f"key-{n}", "contentType": "text/plain"}),
    ],
)
def test_a_list_in_pages_is_read_to_its_end(plain, flyte, command, path, key, shown, entry):
    """The API pages long lists by size (2 MB) and links the rest as `next`: `list` follows it, and
    neither a table nor -o json leaves the later pages out (or shows a `next` it already followed)."""
    self_link = {"href": f"{plain.url}{path}", "rel": "self"}
    plain.answer("GET", path, {key: [entry(1), entry(2)], "links": [self_link, {"href": f"{plain.url}/pages/2", "rel": "next"}]})
    plain.answer("GET", "/pages/2", {key: [entry(3)], "links": [{"href": f"{plain.url}/pages/3", "rel": "next"}]})
    plain.answer("GET", "/pages/3", {key: [entry(4)], "links": []})

    listed = flyte(plain, command, "list", "-o", "json")
    assert listed.code == 0, listed.stderr
    assert json.loads(listed.stdout) == {key: [entry(1), entry(2), entry(3), entry(4)], "links": [self_link]}
    table = flyte(plain, command, "list", "-o", "table")
    assert table.code == 0, table.stderr
    assert all(entry(n)[shown] in table.stdout for n in (1, 2, 3, 4))
