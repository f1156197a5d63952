"""Secrets referenced by flows (issue 24) against moto: the store (SSM SecureString under the stack's
prefix) through the secrets function, values handed out only by a take (long poll) or a push
delivery, a pack outside a secret's scope refused with the action FATAL, results echoing a value
stored masked, and rotation applying to later takes."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from flyte_core.adapters import Adapters
from flyte_core.domain import flows, packs
from flyte_core.domain.callers import ANONYMOUS
from flyte_core.domain.delivery import Registration
from flyte_core.services import delivery, matching, pack_runtime, pipeline, registry
from flyte_core.services import secrets as service
from flyte_core.services.secrets import SecretRefused
from tests.push_pack import FakePushPack

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


# --- the pipeline ------------------------------------------------------------------------------------------


def save_flow(adapters, input_, pack="Shell"):
    adapters.flows_table.save(
        flows.parse_flow(
            {
                "name": "deploy",
                "steps": [
                    {
                        "id": "run",
                        "event": {"packName": "Chat", "name": "Said"},
                        "command": {"packName": pack, "name": "Shell", "input": input_},
                    }
                ],
            }
        )
    )


def start(adapters, payload=None):
    source = registry.register(adapters, packs.parse_registration({"name": "Chat"}))
    (action_id,) = matching.match_event(adapters, pipeline.receive_event(adapters, source, "Said", payload or {}, None)).created
    return action_id


def shell(adapters, labels=None):
    return registry.register(adapters, packs.parse_registration({"name": "Shell", "labels": labels or {}}))


def test_a_take_receives_the_value_and_nothing_stored_holds_it(adapters):
    service.put(adapters, "jira", {"value": VALUE, "scope": {"packs": ["Shell"], "flows": ["deploy"]}}, ANONYMOUS)
    save_flow(adapters, {"script": "curl -H 'Authorization: Bearer {{ secret('jira') }}' -d '{{ Event.Payload.text }}'"})
    shell(adapters)
    action_id = start(adapters, {"text": "«secret:jira»"})  # event text that looks like a reference stays text

    stored = adapters.actions_table.get(action_id)
    assert stored.input == {"script": "curl -H 'Authorization: Bearer «secret:jira»' -d '«secret:jira»'"}
    _, taken = pack_runtime.take(adapters, "Shell", "0", None, ANONYMOUS)
    assert taken.input == {"script": f"curl -H 'Authorization: Bearer {VALUE}' -d '«secret:jira»'"}

    pack_runtime.post_result(adapters, "Shell", action_id, lambda: ("Output", {"stdout": f"sent {VALUE}"}, None), ANONYMOUS)
    finished = adapters.actions_table.get(action_id)
    assert finished.state == "SUCCESS" and finished.result["payload"] == {"stdout": "sent «secret:jira»"}
    for table in ("actions", "events"):
        items = adapters.aws.dynamodb.scan(TableName=getattr(adapters.settings.tables, table))["Items"]
        assert items and VALUE not in json.dumps(items)


def test_rotation_applies_to_actions_taken_afterwards(adapters):
    service.put(adapters, "jira", {"value": "old-value-1"}, ANONYMOUS)
    save_flow(adapters, "echo {{ secret('jira') }}")
    shell(adapters)
    start(adapters, {"n": 1})
    service.put(adapters, "jira", {"value": "new-value-2"}, ALICE)  # after the match, before the take
    _, taken = pack_runtime.take(adapters, "Shell", "0", None, ANONYMOUS)
    assert taken.input == "echo new-value-2"


def test_a_pack_outside_the_scope_is_refused_and_the_action_ends_fatal_naming_the_secret(adapters):
    service.put(adapters, "prod-db", {"value": VALUE, "scope": {"labels": {"env": "prod"}}}, ANONYMOUS)
    save_flow(adapters, "psql {{ secret('prod-db') }}")
    shell(adapters, {"env": "dev"})
    action_id = start(adapters)
    with pytest.raises(SecretRefused) as refused:
        pack_runtime.take(adapters, "Shell.env.dev", "0", None, ANONYMOUS)
    assert "prod-db" in refused.value.detail and VALUE not in refused.value.detail
    assert refused.value.extra["actionId"] == action_id
    action = adapters.actions_table.get(action_id)
    assert action.state == "FATAL" and "secret 'prod-db' is limited to packs labelled env=prod" in action.result["payload"]
    assert VALUE not in json.dumps(action.result)


def test_a_missing_secret_ends_the_action_fatal_saying_so(adapters):
    save_flow(adapters, "echo {{ secret('gone') }}")
    shell(adapters)
    action_id = start(adapters)
    with pytest.raises(SecretRefused):
        pack_runtime.take(adapters, "Shell", "0", None, ANONYMOUS)
    assert "secret 'gone' does not exist" in adapters.actions_table.get(action_id).result["payload"]


@pytest.fixture
def fake_pack():
    endpoint = FakePushPack()
    yield endpoint
    endpoint.close()


def push_setup(settings, fake_pack, scope):
    adapters = Adapters(replace(settings, delivery_allow_loopback=True))
    service.put(adapters, "jira", {"value": VALUE, "scope": scope}, ANONYMOUS)
    save_flow(adapters, {"token": "{{ secret('jira') }}"}, pack="Push")
    wanted = packs.parse_registration({"name": "Push", "commands": [{"name": "Shell", "events": ["Done"]}]})
    pack = registry.register(adapters, wanted, delivery=Registration(fake_pack.url, None), base="http://api.test/")
    fake_pack.secret = pack.delivery.new_secret
    action_id = start(adapters)
    raw = adapters.aws.sqs.receive_message(QueueUrl=adapters.delivery_queue.url, MaxNumberOfMessages=1)["Messages"][0]
    from flyte_core.adapters.delivery_queue import parse_message

    return adapters, action_id, parse_message(raw["Body"], raw["ReceiptHandle"])


def test_a_push_delivery_carries_the_value_and_the_echoed_answer_is_stored_masked(settings, aws, fake_pack):
    adapters, action_id, message = push_setup(settings, fake_pack, {"packs": ["Push"]})
    assert delivery.handle(adapters, message) is True
    (sent,) = fake_pack.deliveries
    assert sent.document["input"] == {"token": VALUE}  # the fake pack answers 200 {"echo": input}
    action = adapters.actions_table.get(action_id)
    assert action.state == "SUCCESS" and action.result["payload"] == {"echo": {"token": "«secret:jira»"}}
    assert action.input == {"token": "«secret:jira»"}


def test_a_push_pack_outside_the_scope_gets_nothing_and_the_action_ends_fatal(settings, aws, fake_pack):
    adapters, action_id, message = push_setup(settings, fake_pack, {"packs": ["Shell"]})
    assert delivery.handle(adapters, message) is True
    assert fake_pack.deliveries == []
    action = adapters.actions_table.get(action_id)
    assert action.state == "FATAL" and "limited to packs Shell" in action.result["payload"]
