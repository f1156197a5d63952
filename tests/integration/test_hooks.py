"""Webhooks (issue 22) through the real handler over moto: hooks and their secrets kept in Secrets
Manager under the stack's prefix; each scheme's good, bad, stale and replayed deliveries."""

import json
import time
from pathlib import Path

import pytest

from tests.webhook_senders import signed_headers, with_bad_signature

PUSH = (Path(__file__).resolve().parents[1] / "fixtures" / "webhooks" / "github-push.json").read_bytes()


def http(sample_event, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None) -> dict:
    event = sample_event("hooks-receive-github-push.json")
    parts = path.strip("/").split("/")
    route = {2: "/v1/hooks", 3: "/v1/hooks/{name}", 4: "/v1/hooks/{name}/rotate"}[len(parts)]
    event.update(routeKey=f"{method} {route}", rawPath=path, body=body.decode() if isinstance(body, bytes) else body)
    event["headers"] = {
        "host": "localhost:3000",
        "x-forwarded-proto": "http",
        **{k.lower(): v for k, v in (headers or {}).items()},
    }
    event["requestContext"] = dict(
        event["requestContext"],
        routeKey=f"{method} {route}",
        http=dict(event["requestContext"]["http"], method=method, path=path),
    )
    event["pathParameters"] = {"name": parts[2]} if len(parts) > 2 else {}
    return event


@pytest.fixture
def call(invoke_handler, sample_event):
    def send(method, path, body=None, headers=None):
        response = invoke_handler("HooksFunction", http(sample_event, method, path, body, headers))
        document = json.loads(response["body"]) if response.get("body") else None
        return response["statusCode"], document, response.get("headers") or {}

    return send


def create(call, scheme, name=None, **extra):
    status, hook, _ = call("POST", "/v1/hooks", json.dumps({"name": name or scheme, "scheme": scheme, **extra}))
    assert status == 201, hook
    return hook


def webhook_events(adapters, name):
    return [s.event for s in adapters.events_table.newest_first("Webhook", None, 50) if s.event.pack_labels == {"hook": name}]


def test_a_hook_is_created_with_a_secret_shown_once_and_kept_in_secrets_manager(call, aws, template_app):
    hook = create(call, "github")
    assert hook["url"] == "http://localhost:3000/v1/hooks/github" and len(hook["secret"]) >= 32
    status, shown, _ = call("GET", "/v1/hooks/github")
    assert status == 200 and "secret" not in shown and shown["eventHeader"] == "X-GitHub-Event"
    status, listed, _ = call("GET", "/v1/hooks")
    assert [(h["name"], "secret" in h) for h in listed["hooks"]] == [("github", False)]
    prefix = template_app.functions["HooksFunction"].environment["FLYTE_HOOKS_PREFIX"]
    kept = aws.client("secretsmanager").get_secret_value(SecretId=f"{prefix}github")["SecretString"]
    assert json.loads(kept)["secret"] == hook["secret"]
    assert call("POST", "/v1/hooks", json.dumps({"name": "github", "scheme": "gitlab"}))[0] == 409
    status, problem, _ = call("POST", "/v1/hooks", json.dumps({"name": "x", "scheme": "svn"}))
    assert status == 400 and problem["field"] == "scheme"


@pytest.mark.parametrize("scheme", ["github", "gitlab", "slack", "hmac", "bearer"])
def test_each_scheme_good_bad_stale_and_replayed(call, adapters, scheme):
    secret = create(call, scheme)["secret"]
    path = f"/v1/hooks/{scheme}"
    bad = with_bad_signature(scheme, signed_headers(scheme, secret, PUSH))
    status, problem, _ = call("POST", path, PUSH, bad)
    assert status == 401 and problem["title"] == "Unauthorized"
    if scheme in ("slack", "hmac"):
        stale = signed_headers(scheme, secret, PUSH, timestamp=int(time.time()) - 600)
        status, problem, _ = call("POST", path, PUSH, stale)
        assert status == 401 and "stale" in problem["detail"]
    assert webhook_events(adapters, scheme) == []  # refused requests store nothing

    good = signed_headers(scheme, secret, PUSH, event="push")
    status, _, headers = call("POST", path, PUSH, good)
    assert status == 202 and "/v1/audit/events/" in headers["Location"]
    again_status, _, again = call("POST", path, PUSH, good)  # the sender's retry of the same delivery
    assert again_status == 200 and again["Location"] == headers["Location"]
    (event,) = webhook_events(adapters, scheme)
    assert event.payload == json.loads(PUSH)
    assert event.name == ("event_callback" if scheme == "slack" else "push")
    assert event.pack_name == "Webhook" and event.pack_id == f"Webhook.hook.{scheme}"


def test_a_body_over_the_bound_is_413_and_a_rotated_secret_replaces_the_old(call, adapters):
    secret = create(call, "github")["secret"]
    huge = json.dumps({"blob": "x" * 100_001}).encode()
    status, problem, _ = call("POST", "/v1/hooks/github", huge, signed_headers("github", secret, huge))
    assert status == 413 and problem["maxBytes"] == 100_000
    status, rotated, _ = call("POST", "/v1/hooks/github/rotate", json.dumps({"secret": "the-admins-own-secret-123"}))
    assert status == 200 and rotated["secret"] == "the-admins-own-secret-123"
    assert call("POST", "/v1/hooks/github", PUSH, signed_headers("github", secret, PUSH))[0] == 401
    assert call("POST", "/v1/hooks/github", PUSH, signed_headers("github", rotated["secret"], PUSH))[0] == 202
    assert call("POST", "/v1/hooks/nosuch", PUSH, signed_headers("github", secret, PUSH))[0] == 404
    assert call("DELETE", "/v1/hooks/github")[0] == 204
    assert call("GET", "/v1/hooks/github")[0] == 404
    assert call("POST", "/v1/hooks/github", PUSH, signed_headers("github", rotated["secret"], PUSH))[0] == 404
    assert len(webhook_events(adapters, "github")) == 1


def test_the_sample_events_create_a_hook_and_deliver_a_signed_push(invoke_handler, sample_event, adapters):
    assert invoke_handler("HooksFunction", sample_event("hooks-create.json"))["statusCode"] == 201
    received = invoke_handler("HooksFunction", sample_event("hooks-receive-github-push.json"))
    assert received["statusCode"] == 202
    (event,) = webhook_events(adapters, "github")
    assert (event.name, event.payload["repository"]["full_name"]) == ("push", "Codertocat/Hello-World")
