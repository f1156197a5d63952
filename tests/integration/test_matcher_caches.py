"""The step matcher's caches of flow triggers and packs (issue 21) never outlive a change: a flow saved
or deleted, a pack registered or removed, applies to the next event posted after that call returned.
A cache with a time to live alone would fail every test here; the request counts show it caches (moto)."""

from __future__ import annotations

import pytest

from flyte_core.adapters.lookups import Lookups
from flyte_core.domain import flows, packs
from flyte_core.services import matching, pipeline, registry

from .test_stream_idempotency import stream_batch


def flow(name: str, command: str = "Do", destination: str = "Dst") -> dict:
    return flows.normalise(
        {
            "name": name,
            "steps": [
                {"id": "s", "event": {"packName": "Src", "name": "E"}, "command": {"packName": destination, "name": command}}
            ],
        }
    )


class Matcher:
    """Matches each new event as the step matcher does: one batch per call, through one environment's caches."""

    def __init__(self, adapters) -> None:
        self.adapters = adapters
        self.triggers_loads = self.packs_loads = 0
        flows_table, packs_table = adapters.flows_table, adapters.packs_table
        triggered_by, with_name = flows_table.triggered_by, packs_table.with_name

        def counted_triggers(*args):
            self.triggers_loads += 1
            return triggered_by(*args)

        def counted_packs(*args):
            self.packs_loads += 1
            return with_name(*args)

        flows_table.triggered_by, packs_table.with_name = counted_triggers, counted_packs
        # moto's index never lags, so no settling: a pack lookup is kept from the first batch after a change
        adapters.lookups = self.lookups = Lookups(flows_table, packs_table, adapters.aws.dynamodb, settle=0.0)

    def batch(self, *events) -> list[list[str]]:
        """The actions (commands) each event created."""
        self.lookups.begin_batch(len(events))
        try:
            return [
                [self.adapters.actions_table.get(i).name for i in matching.match_event(self.adapters, e).created] for e in events
            ]
        finally:
            self.lookups.end_batch()


@pytest.fixture
def source(adapters):
    return registry.register(adapters, packs.parse_registration({"name": "Src"}))


def post(adapters, source):
    return pipeline.receive_event(adapters, source, "E", {}, None)


def taken(adapters, pack) -> list[str]:
    """What the pack takes now; each is finished (so a pack registered later is not offered it again)."""
    names = []
    while (action := pipeline.take(adapters, pack, 0)) is not None:
        names.append(action.name)
        pipeline.complete(adapters, pack, action.id, "Done", {}, None)
    return names


def test_a_flow_saved_or_deleted_applies_to_the_next_event(adapters, source):
    matcher = Matcher(adapters)
    registry.register(adapters, packs.parse_registration({"name": "Dst"}))
    assert matcher.batch(post(adapters, source), post(adapters, source)) == [[], []]  # "nothing triggered" is kept

    adapters.flows_table.save(flow("f"))
    assert matcher.batch(post(adapters, source)) == [["Do"]]
    adapters.flows_table.save(flow("f", command="Other"))  # a new version of the same flow
    assert matcher.batch(post(adapters, source)) == [["Other"]]
    adapters.flows_table.delete("f")
    assert matcher.batch(post(adapters, source)) == [[]]


def test_flow_triggers_and_packs_are_read_once_while_nothing_changes(adapters, source):
    matcher = Matcher(adapters)
    registry.register(adapters, packs.parse_registration({"name": "Dst"}))
    adapters.flows_table.save(flow("f"))
    events = [post(adapters, source) for _ in range(6)]
    assert matcher.batch(*events[:3]) == [["Do"]] * 3
    assert matcher.batch(*events[3:]) == [["Do"]] * 3
    # six events, six actions: one trigger query and one packs query, and each marker read once per batch
    assert (matcher.triggers_loads, matcher.packs_loads) == (1, 1)
    assert (matcher.lookups.triggers.reads, matcher.lookups.packs.reads) == (2, 2)
    # the pack's lastSeen (written by its calls) is no change the cache needs to see
    adapters.packs_table.touch(source.id, source.last_seen.replace(year=source.last_seen.year + 1))
    assert matcher.batch(post(adapters, source)) == [["Do"]]
    assert (matcher.triggers_loads, matcher.packs_loads) == (1, 1)


def test_a_pack_registered_or_removed_applies_to_the_next_action(adapters, source):
    matcher = Matcher(adapters)
    adapters.flows_table.save(flow("f"))
    first = registry.register(adapters, packs.parse_registration({"name": "Dst", "labels": {"n": "1"}}))
    assert matcher.batch(post(adapters, source), post(adapters, source)) == [["Do"], ["Do"]]  # packs named Dst kept
    assert taken(adapters, first) == ["Do", "Do"]

    second = registry.register(adapters, packs.parse_registration({"name": "Dst", "labels": {"n": "2"}}))
    assert matcher.batch(post(adapters, source)) == [["Do"]]
    assert taken(adapters, second) == ["Do"]  # sent to the pack registered after the cache was filled
    assert taken(adapters, first) == []  # sent there too, and finished by the second already

    registry.unregister(adapters, first.id)
    assert matcher.batch(post(adapters, source)) == [["Do"]]  # not sent to the removed pack's queue (gone)
    assert taken(adapters, second) == ["Do"]


def test_the_marker_items_are_no_packs_and_no_triggers(adapters, source):
    adapters.flows_table.save(flow("f"))
    assert [p.id for p in registry.all_packs(adapters)] == ["Src"]
    assert adapters.packs_table.get("\x00version") is None
    assert adapters.flows_table.triggered_by("Src", "E") == [("f", adapters.flows_table.current_uuid("f"))]


def test_the_step_matcher_sees_a_flow_saved_between_two_batches(aws, adapters, template_app, invoke_handler, source):
    """The same through the deployed handler (one warm environment, one batch per invocation)."""
    registry.register(adapters, packs.parse_registration({"name": "Dst"}))
    seen: set[str] = set()

    def new_records():
        records = [r for r in stream_batch(aws, template_app)["Records"] if r["dynamodb"]["Keys"]["id"]["S"] not in seen]
        seen.update(r["dynamodb"]["Keys"]["id"]["S"] for r in records)
        return {"Records": records}

    def actions() -> int:
        return sum(1 for a in adapters.models.actions.scan() if a.recordType == "action")

    post(adapters, source)
    assert invoke_handler("StepMatcherFunction", new_records()) == {"batchItemFailures": []}
    assert actions() == 0
    adapters.flows_table.save(flow("f"))
    post(adapters, source)
    assert invoke_handler("StepMatcherFunction", new_records()) == {"batchItemFailures": []}
    assert actions() == 1
    adapters.flows_table.delete("f")
    post(adapters, source)
    assert invoke_handler("StepMatcherFunction", new_records()) == {"batchItemFailures": []}
    assert actions() == 1


def test_an_action_for_a_pack_whose_queue_is_gone_goes_to_the_others(adapters):
    """A pack removed after the lookup (the byName index lags the table): its queue is gone, the
    action still reaches the other packs of the name and the event is not retried for it."""
    gone = registry.register(adapters, packs.parse_registration({"name": "Dst", "labels": {"n": "1"}}))
    other = registry.register(adapters, packs.parse_registration({"name": "Dst", "labels": {"n": "2"}}))
    adapters.pack_queues.delete_queue(gone.queue_url)  # the record stays, as if the index had not caught up yet
    assert pipeline.deliver(adapters, "action-1", "Do", "Dst", {}) == 1
    assert adapters.action_queues.receive(other.queue_url, 0)[0].action_id == "action-1"
