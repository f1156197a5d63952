"""The daily upkeep: dead packs (when enabled) and actions abandoned after their last lease (moto)."""

from dataclasses import replace
from datetime import timedelta

import pytest

from flyte_core.adapters import Adapters
from flyte_core.domain import flows, packs, times
from flyte_core.services import maintenance, matching, pipeline, registry


@pytest.fixture
def removing(settings, aws):
    """Adapters of a reaper configured to remove dead packs (FLYTE_SHOULD_DELETE_DEAD_PACKS=true)."""
    return Adapters(replace(settings, should_delete_dead_packs=True))


def register(adapters, name, labels=None):
    return registry.register(adapters, packs.parse_registration({"name": name, "labels": labels or {}}))


def age(adapters, pack_id, days):
    model = adapters.models.packs
    model(pack_id).update(actions=[model.lastSeen.set(times.now() - timedelta(days=days))])


def test_dead_packs_stay_unless_removal_is_enabled(adapters):
    register(adapters, "Old")
    age(adapters, "Old", 30)
    assert maintenance.run(adapters)["deadPacksRemoved"] == []
    assert adapters.packs_table.get("Old") is not None


def test_dead_packs_and_their_queues_go_after_the_grace_period(aws, removing):
    old, fresh = register(removing, "Old"), register(removing, "Fresh")
    age(removing, "Old", 8)
    assert maintenance.run(removing)["deadPacksRemoved"] == ["Old"]
    assert removing.packs_table.get("Old") is None and removing.packs_table.get("Fresh") is not None
    urls = aws.client("sqs").list_queues().get("QueueUrls", [])
    assert old.queue_url not in urls and fresh.queue_url in urls


def test_new_actions_of_a_removed_pack_wait_for_the_next_matching_pack(removing):
    removing.flows_table.save(
        flows.normalise(
            {
                "name": "f",
                "steps": [{"id": "s", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Gone", "name": "Do"}}],
            }
        )
    )
    register(removing, "Gone")
    age(removing, "Gone", 8)
    maintenance.run(removing)
    event = pipeline.receive_event(removing, register(removing, "Src"), "E", {}, None)
    matching.match_event(removing, event)
    successor = register(removing, "Gone")
    assert pipeline.take(removing, successor, 0).name == "Do"


def test_an_action_whose_last_lease_expired_ends_fatal(settings, aws):
    adapters = Adapters(replace(settings, action_max_attempts=1))
    adapters.flows_table.save(
        flows.normalise(
            {
                "name": "f",
                "steps": [{"id": "s", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Dst", "name": "Do"}}],
            }
        )
    )
    destination = register(adapters, "Dst")
    matching.match_event(adapters, pipeline.receive_event(adapters, register(adapters, "Src"), "E", {}, None))
    taken = pipeline.take(adapters, destination, 0)
    actions = adapters.models.actions
    actions(taken.id).update(actions=[actions.leaseExpiresAt.set(times.now() - timedelta(seconds=1))])
    assert maintenance.run(adapters)["actionsExpired"] == [taken.id]
    action = adapters.actions_table.get(taken.id)
    assert action.state == "FATAL" and "No result after 1 attempt" in action.result["payload"]


def test_the_sweep_reads_only_unfinished_actions_never_the_whole_table(settings, aws):
    """Issue 21: at a million actions a week a scan of the table outgrew the reaper's 300 s. It reads
    the sparse `waiting` index (unfinished actions only): finished actions cost it nothing."""
    adapters = Adapters(replace(settings, action_max_attempts=1))
    adapters.flows_table.save(
        flows.normalise(
            {
                "name": "f",
                "steps": [{"id": "s", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Dst", "name": "Do"}}],
            }
        )
    )
    destination, source = register(adapters, "Dst"), register(adapters, "Src")
    for n in range(6):
        matching.match_event(adapters, pipeline.receive_event(adapters, source, "E", {"n": n}, None))
    finished = [pipeline.take(adapters, destination, 0) for _ in range(4)]
    for action in finished:
        pipeline.complete(adapters, destination, action.id, "Done", {}, None)
    abandoned = pipeline.take(adapters, destination, 0)
    actions = adapters.models.actions
    actions(abandoned.id).update(actions=[actions.leaseExpiresAt.set(times.now() - timedelta(seconds=1))])

    requests = []
    client = actions._get_connection().connection.client
    count = lambda params=None, **_: requests.append((params or {}).get("IndexName"))  # noqa: E731
    client.meta.events.register("before-parameter-build.dynamodb.Scan", count)
    try:
        assert maintenance.expire_abandoned_actions(adapters) == [abandoned.id]
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.Scan", count)
    assert requests == ["waiting"]  # one page of the index of unfinished actions; the table is never scanned
    assert adapters.actions_table.get(abandoned.id).state == "FATAL"
