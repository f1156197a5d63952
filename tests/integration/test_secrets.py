"""Secrets referenced by flows (issue 24) against moto: the store (SSM SecureString under the stack's
prefix) through the secrets function, values handed out only by a take (long poll) or a push
delivery, a pack outside a secret's scope refused with the action FATAL, results echoing a value
stored masked, and rotation applying to later takes."""

from __future__ import annotations

import json
from dataclasses import replace

from flyte_core.domain.callers import ANONYMOUS
from flyte_core.services import secrets as service

VALUE = "tok-3f9a1c2e7b5d4e60"
ALICE = replace(ANONYMOUS, issuer="urn:test", subject="alice")


def api_event(sample_event, method: str, path: str, body: object | None = None, name: str | None = None) -> dict:
    event = sample_event("secrets-put.json")
    route = "/v1/secrets/{name}" if name else "/v1/secrets"
    event.update(
        routeKey=f"{method} {route}",
        rawPath=path,
        body=json.dumps(body) if body is not None else None,
        pathParameters={"name": name} if name else {},
    )
    event["requestContext"] = dict(event["requestContext"], http=dict(event["requestContext"]["http"], method=method, path=path))
    return event


def test_secrets_are_set_listed_rotated_and_deleted_and_no_answer_holds_a_value(invoke_handler, sample_event, adapters):
    def call(method, name=None, body=None):
        path = f"/v1/secrets/{name}" if name else "/v1/secrets"
        return invoke_handler("SecretsFunction", api_event(sample_event, method, path, body, name))

    created = call("PUT", "jira", {"value": VALUE, "description": "Jira API token", "scope": {"packs": ["Shell"]}})
    assert created["statusCode"] == 201 and created["headers"]["Location"].endswith("/v1/secrets/jira")
    rotated = call("PUT", "jira", {"value": VALUE + "-2", "scope": {"packs": ["Shell"]}})
    assert rotated["statusCode"] == 200 and json.loads(rotated["body"])["version"] == 2

    listed = call("GET")
    (entry,) = json.loads(listed["body"])["secrets"]
    assert entry["name"] == "jira" and entry["scope"]["packs"] == ["Shell"] and entry["version"] == 2
    shown = json.loads(call("GET", "jira")["body"])
    assert [v["version"] for v in shown["history"]] == [1, 2]
    assert shown["history"][0]["description"] == "Jira API token"
    assert all(v["changedAt"] for v in shown["history"])
    for answer in (created, rotated, listed, call("GET", "jira")):
        assert VALUE not in answer["body"]

    # the value itself is a SecureString under the stack's own prefix
    parameter = adapters.aws.client("ssm").get_parameter(Name=adapters.settings.secrets_prefix + "jira")["Parameter"]
    assert parameter["Type"] == "SecureString" and parameter["Name"].startswith("/flyte-local/secrets/")

    bad = call("PUT", "jira", {"value": ""})
    assert bad["statusCode"] == 400 and json.loads(bad["body"])["field"] == "value"
    assert call("DELETE", "jira")["statusCode"] == 204
    assert call("DELETE", "jira")["statusCode"] == 404
    assert json.loads(call("GET")["body"])["secrets"] == []


def test_rotation_is_recorded_with_who_changed_the_value_and_when(adapters):
    service.put(adapters, "t", {"value": "one"}, ANONYMOUS)
    service.put(adapters, "t", {"value": "two", "description": "rotated"}, ALICE)
    first, second = service.history(adapters, "t")
    assert first.changed_by == {"sub": "anonymous"} and second.changed_by == {"iss": "urn:test", "sub": "alice"}
    assert second.description == "rotated" and second.changed_at is not None
