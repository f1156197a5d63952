"""Push delivery's life of an action (issue 20), against moto and a fake pack on a loopback port: the
same claim, lease, attempts, FATAL and 409 as a long-polling pack's, driven by the pack's answer."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from flyte_core.adapters import Adapters
from flyte_core.adapters.delivery_queue import DeliveryMessage, parse_message
from flyte_core.adapters.pack_endpoints import PackEndpoints
from flyte_core.domain import flows, packs
from flyte_core.domain.callers import ANONYMOUS
from flyte_core.domain.delivery import Registration
from flyte_core.domain.errors import StateConflict
from flyte_core.observability import logger
from flyte_core.services import delivery, matching, pack_runtime, pipeline, registry
from tests.push_pack import FakePushPack, Reply

API = "http://api.test/"


@pytest.fixture
def fake_pack():
    endpoint = FakePushPack()
    yield endpoint
    endpoint.close()


def push_adapters(settings, **overrides) -> Adapters:
    """A function's adapters on a stack that allows loopback deliveries (the local stack's setting)."""
    return Adapters(replace(settings, delivery_allow_loopback=True, **overrides))


@pytest.fixture
def adapters(settings, aws):
    return push_adapters(settings)


def register_push(adapters, url, secret=None, name="Push"):
    wanted = packs.parse_registration({"name": name, "commands": [{"name": "Do", "events": ["Done"]}]})
    return registry.register(adapters, wanted, delivery=Registration(url, secret), base=API)


def start_action(adapters, fake_pack, secret=None):
    """The flow Src/E -> Push/Do, a registered push pack and an event: one action for the pack."""
    adapters.flows_table.save(
        flows.normalise(
            {
                "name": "f",
                "steps": [
                    {
                        "id": "s",
                        "event": {"packName": "Src", "name": "E"},
                        "command": {"packName": "Push", "name": "Do", "input": {"n": 1}},
                    }
                ],
            }
        )
    )
    pack = register_push(adapters, fake_pack.url, secret)
    fake_pack.secret = secret or pack.delivery.new_secret
    source = registry.register(adapters, packs.parse_registration({"name": "Src"}))
    (action_id,) = matching.match_event(adapters, pipeline.receive_event(adapters, source, "E", {}, None)).created
    return pack, action_id


def next_message(adapters, wait: int = 0) -> DeliveryMessage | None:
    response = adapters.aws.sqs.receive_message(QueueUrl=adapters.delivery_queue.url, MaxNumberOfMessages=1, WaitTimeSeconds=wait)
    messages = response.get("Messages", [])
    return parse_message(messages[0]["Body"], messages[0]["ReceiptHandle"]) if messages else None


def queued(adapters) -> int:
    attributes = adapters.aws.sqs.get_queue_attributes(
        QueueUrl=adapters.delivery_queue.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_an_action_for_a_push_pack_goes_to_the_delivery_queue_and_a_200_completes_it(adapters, fake_pack):
    pack, action_id = start_action(adapters, fake_pack)
    assert pack.queue_url == "" and adapters.packs_table.get("Push").delivery.url == fake_pack.url
    message = next_message(adapters)
    assert (message.action_id, message.pack_id) == (action_id, "Push")

    assert delivery.handle(adapters, message) is True  # done with: the event source deletes it
    (sent,) = fake_pack.deliveries
    assert sent.signed and sent.headers["X-Flyte-Action-Id"] == action_id and sent.headers["X-Flyte-Attempt"] == "1"
    assert sent.document == {
        "id": action_id,
        "command": "Do",
        "input": {"n": 1},
        "links": [{"href": f"{API}v1/packs/Push/actions/{action_id}/result", "rel": f"{API}swagger#/actionResult"}],
    }
    action = adapters.actions_table.get(action_id)
    assert action.state == "SUCCESS" and action.attempts == 1
    assert action.result["event"] == "Done" and action.result["payload"] == {"echo": {"n": 1}}
    assert action.result["actor"] == action.taken_by == {"iss": "urn:flyte:delivery", "sub": "Push"}
    with pytest.raises(StateConflict):  # a second result, through the link: the 409 of today
        pack_runtime.post_result(adapters, "Push", action_id, lambda: ("Done", {}, None), delivery.caller_for(pack))


def test_a_202_leaves_it_pending_until_the_pack_posts_to_its_result_link(adapters, fake_pack):
    fake_pack.script(Reply(202))
    _, action_id = start_action(adapters, fake_pack)
    assert delivery.handle(adapters, next_message(adapters)) is False  # kept, hidden for the lease
    assert adapters.actions_table.get(action_id).state == "PENDING"
    assert next_message(adapters) is None and queued(adapters) == 1

    pack = adapters.packs_table.get("Push")
    pack_runtime.post_result(adapters, "Push", action_id, lambda: ("Done", {"later": True}, None), delivery.caller_for(pack))
    assert adapters.actions_table.get(action_id).result["payload"] == {"later": True}
    assert queued(adapters) == 0  # the result ended the delivery's message


def test_failed_attempts_retry_after_a_backoff_then_end_fatal_with_the_reason(settings, aws, fake_pack):
    adapters = push_adapters(settings, action_max_attempts=2)
    fake_pack.script(Reply(500, {"oops": 1}), Reply(503))
    _, action_id = start_action(adapters, fake_pack)
    assert delivery.handle(adapters, next_message(adapters)) is False
    action = adapters.actions_table.get(action_id)
    assert action.state == "PENDING" and action.attempts == 1
    assert next_message(adapters) is None  # hidden for the backoff (2-3 s)
    again = next_message(adapters, wait=6)
    assert again is not None and delivery.handle(adapters, again) is True
    action = adapters.actions_table.get(action_id)
    assert [s["value"] for s in action.states] == ["NEW", "PENDING", "PENDING", "FATAL"]
    assert action.result["event"] == "FATAL"
    assert action.result["payload"] == (
        f"Delivery to {fake_pack.url} failed 2 time(s); the last attempt answered 503 Service Unavailable."
    )
    assert [d.headers["X-Flyte-Attempt"] for d in fake_pack.deliveries] == ["1", "2"]


def test_a_timeout_or_a_refused_connection_is_a_failed_attempt(settings, aws, fake_pack):
    adapters = push_adapters(settings, action_max_attempts=1)
    adapters.__dict__["pack_endpoints"] = PackEndpoints(adapters.settings.delivery_bounds, timeout=1)
    fake_pack.script(Reply(200, {"event": "Done"}, delay=3))
    _, action_id = start_action(adapters, fake_pack)
    assert delivery.handle(adapters, next_message(adapters)) is True
    assert adapters.actions_table.get(action_id).result["payload"].endswith("timed out: no answer within 1 s.")


def test_a_200_without_a_result_is_a_failed_attempt(settings, aws, fake_pack):
    adapters = push_adapters(settings, action_max_attempts=1)
    fake_pack.script(Reply(200, b"OK"))
    _, action_id = start_action(adapters, fake_pack)
    delivery.handle(adapters, next_message(adapters))
    action = adapters.actions_table.get(action_id)
    assert action.state == "FATAL" and "answered 200 with a body that is not JSON" in action.result["payload"]


def test_a_410_unregisters_the_pack_and_the_action_waits_for_the_next_one(adapters, fake_pack):
    fake_pack.script(Reply(410))
    _, action_id = start_action(adapters, fake_pack)
    assert delivery.handle(adapters, next_message(adapters)) is True
    assert adapters.packs_table.get("Push") is None
    successor = registry.register(adapters, packs.parse_registration({"name": "Push"}))  # long-polls this time
    taken = pipeline.take(adapters, successor, 1)
    assert taken.id == action_id and taken.attempts == 2


def test_a_message_for_an_action_someone_holds_waits_for_the_lease(adapters, fake_pack):
    fake_pack.script(Reply(202))
    pack, _ = start_action(adapters, fake_pack)
    delivery.handle(adapters, next_message(adapters))
    pipeline.enqueue_waiting(adapters, pack)  # a second copy of the message (say a registration again)
    copy = next_message(adapters)
    assert copy is not None and delivery.handle(adapters, copy) is False
    assert len(fake_pack.deliveries) == 1  # not delivered twice within the lease
    done = replace(copy, action_id="0" * 24)  # an action that is not there (expired): nothing to do
    assert delivery.handle(adapters, done) is True


def test_a_push_pack_has_nothing_to_take(adapters, fake_pack):
    register_push(adapters, fake_pack.url)
    with pytest.raises(StateConflict, match="push delivery"):
        pack_runtime.take(adapters, "Push", "0", None, ANONYMOUS)


def test_the_secret_is_sealed_kept_across_registrations_and_shown_only_once(adapters, aws, fake_pack):
    first = register_push(adapters, fake_pack.url)
    secret = first.delivery.new_secret
    assert secret and len(secret) >= 32
    raw = aws.client("dynamodb").get_item(TableName=adapters.settings.tables.packs, Key={"id": {"S": "Push"}})["Item"]
    assert secret not in json.dumps(raw)  # the table holds it sealed
    stored = adapters.packs_table.get("Push")
    assert adapters.delivery_secrets.open("Push", stored.delivery.sealed_secret) == secret
    assert "secret" not in packs.representation(stored, API, stored.last_seen)["delivery"]
    with pytest.raises(Exception):  # noqa: B017 - sealed for Push, it does not open as another pack's
        adapters.delivery_secrets.open("Other", stored.delivery.sealed_secret)

    again = register_push(adapters, fake_pack.url)  # again without a secret, same URL: the same secret, not shown
    assert again.delivery.new_secret is None
    assert adapters.delivery_secrets.open("Push", adapters.packs_table.get("Push").delivery.sealed_secret) == secret
    given = register_push(adapters, fake_pack.url, secret="my-own-secret-0123456789")  # given: used, not echoed
    assert given.delivery.new_secret is None
    assert adapters.delivery_secrets.open("Push", adapters.packs_table.get("Push").delivery.sealed_secret) == (
        "my-own-secret-0123456789"
    )
    moved = register_push(adapters, fake_pack.url + "/v2")  # a new URL without a secret: a new one
    assert moved.delivery.new_secret not in (None, secret)


def test_a_long_polling_pack_that_turns_push_loses_its_queue(adapters, aws, fake_pack):
    polling = registry.register(adapters, packs.parse_registration({"name": "Push"}))
    assert polling.queue_url in aws.client("sqs").list_queues().get("QueueUrls", [])
    register_push(adapters, fake_pack.url)
    assert polling.queue_url not in aws.client("sqs").list_queues().get("QueueUrls", [])


def test_the_secret_never_reaches_the_logs(adapters, fake_pack, caplog):
    logger.setLevel("DEBUG")
    try:
        start_action(adapters, fake_pack, secret="never-logged-secret-0123456789")
        fake_pack.script(Reply(500))
        delivery.handle(adapters, next_message(adapters))
    finally:
        logger.setLevel("WARNING")
    lines = [logger.registered_formatter.format(record) for record in caplog.records]  # as the function writes them
    assert any('"delivering an action"' in line for line in lines)  # the logs were captured
    assert not [line for line in lines if "never-logged-secret-0123456789" in line]
    assert fake_pack.deliveries[0].signed
