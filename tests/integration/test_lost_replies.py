"""Writes that recognise their own success (issue 30): a conditional write that DynamoDB applied but
whose reply was lost is retried by the SDK as the same request, which then fails its own condition.
Here botocore is told to retry a write after its successful reply, exactly as it does after a reply
it never got; every such write must still report success, and cost nothing more (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from flyte_core.domain import flows, packs
from flyte_core.domain.errors import KeyReused, StateConflict
from flyte_core.services import matching, pipeline, registry


class LoseReplies:
    """Makes botocore retry the first `count` successful replies of an operation as if they were
    lost: the write is applied, then sent again (botocore's own retry, same request)."""

    def __init__(self) -> None:
        self.lost: list[str] = []
        self._armed: dict[str, int] = {}
        self._clients: list[Any] = []

    def watch(self, client: Any) -> None:
        if client not in self._clients:
            client.meta.events.register("needs-retry.dynamodb", self._needs_retry)
            self._clients.append(client)

    def arm(self, operation: str, count: int = 1) -> None:
        self._armed[operation] = count

    def _needs_retry(self, response: Any = None, operation: Any = None, attempts: int = 1, **_: Any) -> float | None:
        name = operation.name if operation is not None else ""
        if response is not None and response[0].status_code == 200 and self._armed.get(name, 0) > 0:
            self._armed[name] -= 1
            self.lost.append(name)
            return 0  # retry now: what botocore does after a reply that never came
        return None

    def close(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("needs-retry.dynamodb", self._needs_retry)


@pytest.fixture
def lose(adapters) -> Iterator[LoseReplies]:
    losing = LoseReplies()
    for model in (adapters.models.events, adapters.models.actions):
        losing.watch(model._get_connection().connection.client)
    losing.watch(adapters.aws.pynamodb_connection.client)  # transactions
    yield losing
    losing.close()


FLOW = {
    "name": "chain",
    "steps": [
        {"id": "a", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Dst", "name": "Do"}},
        {
            "id": "b",
            "dependsOn": ["a"],
            "event": {"packName": "Dst", "name": "Done"},
            "command": {"packName": "Dst", "name": "Again"},
        },
    ],
}


def setup(adapters):
    adapters.flows_table.save(flows.normalise(FLOW))
    source = registry.register(adapters, packs.parse_registration({"name": "Src"}))
    destination = registry.register(adapters, packs.parse_registration({"name": "Dst"}))
    return source, destination


def events_stored(adapters) -> list[Any]:
    return list(adapters.models.events.scan())


def test_an_event_put_whose_reply_was_lost_is_stored_once_and_reported_stored(adapters, lose):
    source, _ = setup(adapters)
    lose.arm("PutItem")
    event = pipeline.receive_event(adapters, source, "E", {"n": 1}, None)
    assert lose.lost == ["PutItem"]
    assert [e.id for e in events_stored(adapters)] == [event.id]


def test_an_event_id_holding_another_write_is_a_conflict(adapters):
    source, _ = setup(adapters)
    event = pipeline.receive_event(adapters, source, "E", {"n": 1}, None)
    with pytest.raises(StateConflict):
        adapters.events_table.put(event)  # another write (its own token) of an id that exists


def deliver_first_action(adapters, source):
    event = pipeline.receive_event(adapters, source, "E", None, None)
    stored = adapters.events_table.get(event.id)
    assert stored is not None
    outcome = matching.match_event(adapters, stored.event)
    assert len(outcome.created) == 1
    return outcome.created[0]


def test_a_claim_whose_reply_was_lost_is_taken_at_once_without_costing_an_attempt(adapters, lose):
    source, destination = setup(adapters)
    action_id = deliver_first_action(adapters, source)
    lose.arm("UpdateItem")
    taken = pipeline.take(adapters, destination, 0)
    assert lose.lost == ["UpdateItem"]
    assert taken is not None and taken.id == action_id  # before issue 30: None, and hidden for a lease
    stored = adapters.actions_table.get(action_id)
    assert stored is not None and stored.state == "PENDING" and stored.attempts == 1
    assert [s["value"] for s in stored.states] == ["NEW", "PENDING"]


def test_a_result_whose_transaction_reply_was_lost_is_recorded_once_and_answered_as_recorded(adapters, lose):
    source, destination = setup(adapters)
    action_id = deliver_first_action(adapters, source)
    assert pipeline.take(adapters, destination, 0) is not None
    lose.arm("TransactWriteItems")
    finished = pipeline.complete(adapters, destination, action_id, "Done", {"ok": True}, None)
    assert lose.lost == ["TransactWriteItems"]
    assert finished.state == "SUCCESS"  # before issue 30: StateConflict, answered 409
    results = [e for e in events_stored(adapters) if e.actionId == action_id]
    assert [e.id for e in results] == [finished.result["id"]]


def test_an_idempotency_key_maps_repeats_of_an_event_onto_the_first(adapters):
    source, _ = setup(adapters)
    first = pipeline.receive_event(adapters, source, "E", {"n": 1}, None, idempotency_key="k-1")
    again = pipeline.receive_event(adapters, source, "E", {"n": 1}, None, idempotency_key="k-1")
    assert again.id == first.id
    assert len(events_stored(adapters)) == 1
    with pytest.raises(KeyReused):
        pipeline.receive_event(adapters, source, "E", {"n": 2}, None, idempotency_key="k-1")
    other = pipeline.receive_event(adapters, source, "E", {"n": 1}, None, idempotency_key="k-2")
    assert other.id != first.id and len(events_stored(adapters)) == 2


def test_an_idempotency_key_is_scoped_to_its_pack(adapters):
    source, destination = setup(adapters)
    a = pipeline.receive_event(adapters, source, "E", None, None, idempotency_key="same")
    b = pipeline.receive_event(adapters, destination, "E", None, None, idempotency_key="same")
    assert a.id != b.id and len(events_stored(adapters)) == 2


def test_an_idempotency_key_answers_a_repeated_result_with_the_first_and_refuses_another_body(adapters):
    source, destination = setup(adapters)
    action_id = deliver_first_action(adapters, source)
    assert pipeline.take(adapters, destination, 0) is not None
    first = pipeline.complete(adapters, destination, action_id, "Done", {"ok": True}, None, idempotency_key="r-1")
    again = pipeline.complete(adapters, destination, action_id, "Done", {"ok": True}, None, idempotency_key="r-1")
    assert again.result is not None and first.result is not None and again.result["id"] == first.result["id"]
    assert len([e for e in events_stored(adapters) if e.actionId == action_id]) == 1
    with pytest.raises(KeyReused):
        pipeline.complete(adapters, destination, action_id, "Done", {"ok": False}, None, idempotency_key="r-1")
    with pytest.raises(StateConflict):
        pipeline.complete(adapters, destination, action_id, "Done", {"ok": True}, None, idempotency_key="r-2")
    with pytest.raises(StateConflict):
        pipeline.complete(adapters, destination, action_id, "Done", {"ok": True}, None)
