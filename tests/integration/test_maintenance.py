"""The daily upkeep: dead packs (when enabled) and actions abandoned after their last lease (moto)."""

from datetime import timedelta


from flyte_core.adapters import actions_table, flows_table, packs_table
from flyte_core.adapters.models import ActionModel, PackModel
from flyte_core.domain import flows, packs, times
from flyte_core.services import maintenance, pipeline, registry


def register(name, labels=None):
    return registry.register(packs.parse_registration({"name": name, "labels": labels or {}}))


def age(pack_id, days):
    PackModel(pack_id).update(actions=[PackModel.lastSeen.set(times.now() - timedelta(days=days))])


def test_dead_packs_stay_unless_removal_is_enabled(aws, monkeypatch):
    register("Old")
    age("Old", 30)
    assert maintenance.run()["deadPacksRemoved"] == []
    assert packs_table.get("Old") is not None


def test_dead_packs_and_their_queues_go_after_the_grace_period(aws, monkeypatch):
    monkeypatch.setenv("FLYTE_SHOULD_DELETE_DEAD_PACKS", "true")
    old, fresh = register("Old"), register("Fresh")
    age("Old", 8)
    assert maintenance.run()["deadPacksRemoved"] == ["Old"]
    assert packs_table.get("Old") is None and packs_table.get("Fresh") is not None
    urls = aws.client("sqs").list_queues().get("QueueUrls", [])
    assert old.queue_url not in urls and fresh.queue_url in urls


def test_new_actions_of_a_removed_pack_wait_for_the_next_matching_pack(aws, monkeypatch, template_app):
    monkeypatch.setenv("FLYTE_SHOULD_DELETE_DEAD_PACKS", "true")
    flows_table.save(flows.normalise({"name": "f", "steps": [
        {"id": "s", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Gone", "name": "Do"}}]}))
    register("Gone")
    age("Gone", 8)
    maintenance.run()
    event = pipeline.receive_event(register("Src"), "E", {}, None)
    pipeline.match_event(event)
    successor = register("Gone")
    assert pipeline.take(successor, 0).name == "Do"


def test_an_action_whose_last_lease_expired_ends_fatal(aws, monkeypatch):
    monkeypatch.setenv("FLYTE_ACTION_MAX_ATTEMPTS", "1")
    flows_table.save(flows.normalise({"name": "f", "steps": [
        {"id": "s", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Dst", "name": "Do"}}]}))
    destination = register("Dst")
    pipeline.match_event(pipeline.receive_event(register("Src"), "E", {}, None))
    taken = pipeline.take(destination, 0)
    ActionModel(taken.id).update(actions=[ActionModel.leaseExpiresAt.set(times.now() - timedelta(seconds=1))])
    assert maintenance.run()["actionsExpired"] == [taken.id]
    action = actions_table.get(taken.id)
    assert action.state == "FATAL" and "No result after 1 attempt" in action.result["payload"]
