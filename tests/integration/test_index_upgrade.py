"""Issue 21: indexes re-keyed in place (docs/scale.md "Upgrading the indexes").

The actions table's by-flow index: from the tables of the release before it (byFlow only; tests/fixtures/released-tables.json
has since moved on to the release that added byFlowShard), the upgrade
adds byFlowShard as CloudFormation does (UpdateTable, one index), the backfill gives the old actions
their key, and the audit filtered by flow finds every execution - before the backfill (through the
retired byFlow), after it, and once the next release has removed byFlow (moto).

The events' by-pack and the packs' by-name indexes: from the released tables
(tests/fixtures/released-tables.json), the same path for byPackShard and byNameStable, and the traces
that events of the released code carry on themselves read as before beside the trace records."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from flyte_core.adapters.actions_table import backfill_flow_shards
from flyte_core.adapters.events_table import PACK_SHARDS, backfill_event_keys, trace_key
from flyte_core.domain import flows, packs, times
from flyte_core.domain.audit import EventQuery, Query
from flyte_core.services import audit, matching, pipeline, registry
from flyte_local import released_tables
from flyte_local.cfn import load_template

ROOT = Path(__file__).resolve().parents[2]

# The actions table's global indexes in the release before byFlowShard (7b882fd).
RELEASE_BEFORE_SHARDS = {"byCorrelation", "waiting", "byFlow"}

FLOW = {
    "name": "upgrade",
    "steps": [{"id": "s", "event": {"packName": "Src", "name": "Go"}, "command": {"packName": "Dst", "name": "Do"}}],
}


def recreate(aws, template_app, table: str, kept: set[str], added: str):
    """A table as a release deployed it: recreated with only the global indexes it had. Returns the
    client, its name, its template properties and the index the release after it added."""
    props = template_app.tables[table]
    new = [index for index in props["GlobalSecondaryIndexes"] if index["IndexName"] == added]
    dynamodb, name = aws.client("dynamodb"), template_app.table_names[table]
    dynamodb.delete_table(TableName=name)
    used = {
        key["AttributeName"]
        for index in props["GlobalSecondaryIndexes"]
        if index["IndexName"] in kept
        for key in index["KeySchema"]
    }
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[d for d in props["AttributeDefinitions"] if d["AttributeName"] in used | {"id"}],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=[
            {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
            for index in props["GlobalSecondaryIndexes"]
            if index["IndexName"] in kept
        ],
    )
    return dynamodb, name, props, new[0]


def add_index(dynamodb, name: str, props, index) -> None:
    """The deploy: CloudFormation adds the one index, with the attribute definitions its keys and the
    table's use (DynamoDB refuses others); DynamoDB builds it from the table."""
    table = dynamodb.describe_table(TableName=name)["Table"]
    schemas = [table["KeySchema"], index["KeySchema"], *(i["KeySchema"] for i in table.get("GlobalSecondaryIndexes", []))]
    used = {key["AttributeName"] for schema in schemas for key in schema}
    dynamodb.update_table(
        TableName=name,
        AttributeDefinitions=[d for d in props["AttributeDefinitions"] if d["AttributeName"] in used],
        GlobalSecondaryIndexUpdates=[
            {"Create": {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}}
        ],
    )


@pytest.fixture
def released_actions_table(aws, adapters, template_app):
    """The actions table as the release before byFlowShard deployed it: recreated without it."""
    return recreate(aws, template_app, "ActionsTable", RELEASE_BEFORE_SHARDS, "byFlowShard")


def released_indexes(table: str, added: str) -> set[str]:
    """The global indexes of a table in the released tables; the first deploy of this release
    (IndexUpgradeStep=first, the only one a table with one new index needs) adds exactly `added`."""
    released, _ = released_tables.released()
    kept = set(released[table]["GlobalSecondaryIndexes"])
    first = released_tables.tables(load_template(ROOT / "template.yaml"), "first")
    assert set(first[table]["GlobalSecondaryIndexes"]) - kept == {added}  # one index per deploy
    return kept


@pytest.fixture
def released_actions_table_of_main(aws, adapters, template_app):
    """The actions table as the last release deployed it (byFlowShard beside byFlow, no byTime)."""
    return recreate(aws, template_app, "ActionsTable", released_indexes("ActionsTable", "byTime"), "byTime")


@pytest.fixture
def released_events_table(aws, adapters, template_app):
    """The events table as the last release deployed it (byPack only)."""
    return recreate(aws, template_app, "EventsTable", released_indexes("EventsTable", "byPackShard"), "byPackShard")


@pytest.fixture
def released_packs_table(aws, adapters, template_app):
    """The packs table as the last release deployed it (byName only)."""
    return recreate(aws, template_app, "PacksTable", released_indexes("PacksTable", "byNameStable"), "byNameStable")


def run_executions(adapters, count: int) -> list[str]:
    source = adapters.packs_table.get("Src")
    return [
        matching.match_event(adapters, pipeline.receive_event(adapters, source, "Go", {"n": n}, None)).created[0]
        for n in range(count)
    ]


def by_flow(adapters) -> set[str]:
    return {record.correlation_id for record in audit.find(adapters, Query(flow_name="upgrade", limit=100))}


def test_an_upgrade_from_the_release_before_keeps_every_execution_in_the_audit_by_flow(adapters, released_actions_table):
    dynamodb, name, props, index = released_actions_table
    adapters.flows_table.save(flows.normalise(FLOW))
    for pack in ("Src", "Dst"):
        registry.register(adapters, packs.parse_registration({"name": pack}))
    old = run_executions(adapters, 3)
    actions = adapters.models.actions
    for action_id in old:  # as the released code wrote them: no flowShard
        actions(action_id).update(actions=[actions.flowShard.remove()])
    before = by_flow(adapters)
    assert len(before) == 3  # the released index answers; the new one is not there yet

    add_index(dynamodb, name, props, index)
    new = run_executions(adapters, 2)
    assert len(by_flow(adapters)) == 5  # old ones through byFlow, new ones through both

    assert backfill_flow_shards(actions) == 3
    assert backfill_flow_shards(actions) == 0  # idempotent: nothing left to do
    assert all(actions.get(action_id).flowShard for action_id in old + new)

    # the next release removes byFlow: the audit by flow reads byFlowShard alone and misses nothing
    dynamodb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byFlow"}}])
    assert by_flow(adapters) == before | {actions.get(a).correlationId for a in new}
    shard_keys = {actions.get(a).flowShard for a in old + new}
    assert shard_keys <= {f"upgrade#{n}" for n in range(4)}


def setup_flow(adapters) -> None:
    adapters.flows_table.save(flows.normalise(FLOW))
    for pack in ("Src", "Dst"):
        registry.register(adapters, packs.parse_registration({"name": pack}))


def post_events(adapters, count: int, start: int = 0) -> list[str]:
    source = adapters.packs_table.get("Src")
    events = [pipeline.receive_event(adapters, source, "Go", {"n": n}, None) for n in range(start, start + count)]
    for event in events:
        matching.match_event(adapters, event)
    return [event.id for event in events]


def as_released(adapters, event_ids: list[str]) -> None:
    """Events as the released code stored them: no byPackShard or byTime key, the trace written onto the event."""
    events, traces = adapters.models.events, adapters.models.traces
    for event_id in event_ids:
        record = traces.get(trace_key(event_id))
        actions = [events.packShard.remove(), events.timeShard.remove(), events.trace.set(record.trace)]
        actions.append(events.firedSteps.set(record.firedSteps))
        events(event_id).update(actions=[*actions, events.processedAt.set(record.processedAt)])
        record.delete()


def listed(adapters) -> list[tuple[str, str, int]]:
    found = audit.find_events(adapters, EventQuery(pack_name="Src", event=None, start=0, limit=100))
    return [(stored.event.id, "processed" if stored.trace is not None else "pending", stored.fired_steps) for stored in found]


def replayed(adapters) -> set[str]:
    since = times.now() - timedelta(hours=1)
    return {event.id for event in adapters.events_table.received_since("Src", ["Go"], since, 100)}


def test_an_upgrade_from_the_released_tables_keeps_every_event_listed_by_pack_with_its_trace(adapters, released_events_table):
    dynamodb, name, props, index = released_events_table
    setup_flow(adapters)
    old = post_events(adapters, 3)
    as_released(adapters, old)
    assert [event_id for event_id, _, _ in listed(adapters)] == old[::-1]  # the released index answers
    assert {status for _, status, _ in listed(adapters)} == {"processed"}
    assert replayed(adapters) == set(old)

    add_index(dynamodb, name, props, index)
    new = post_events(adapters, 2, start=3)
    assert "trace" not in adapters.models.events.get(new[0]).attribute_values  # the event was written once
    expected = [(event_id, "processed", 1) for event_id in (old + new)[::-1]]
    assert listed(adapters) == expected  # old ones through byPack, new ones through both, newest first
    assert replayed(adapters) == set(old + new)
    for event_id in (old[0], new[0]):  # the trace: on the event (released) or in its own record
        trace = audit.event_trace(adapters, event_id)
        assert trace.fired_steps == 1 and [flow["name"] for flow in trace.trace or []] == ["upgrade"]

    assert backfill_event_keys(adapters.models.events) == 3
    assert backfill_event_keys(adapters.models.events) == 0  # idempotent
    shards = {adapters.models.events.get(event_id).packShard for event_id in old + new}
    assert shards <= {f"Src#{n}" for n in range(PACK_SHARDS)}

    # the next release removes byPack: byPackShard alone finds every event, newest first
    dynamodb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byPack"}}])
    assert listed(adapters) == expected
    assert replayed(adapters) == set(old + new)
    assert [event_id for event_id, _, _ in listed(adapters)][:2] == new[::-1]


def every_event(adapters, event: str | None = None, start: int = 0, limit: int = 100) -> list[str]:
    """The events audit without a pack: the events' ids as listed."""
    return [
        stored.event.id
        for stored in audit.find_events(adapters, EventQuery(pack_name=None, event=event, start=start, limit=limit))
    ]


@pytest.mark.parametrize("backfill_between_deploys", [True, False])
def test_an_upgrade_in_two_deploys_keeps_every_event_in_the_list_without_a_pack(
    adapters, released_events_table, monkeypatch, backfill_between_deploys
):
    dynamodb, name, props, by_pack_shard = released_events_table
    (by_time,) = [index for index in props["GlobalSecondaryIndexes"] if index["IndexName"] == "byTime"]
    events = adapters.models.events
    setup_flow(adapters)
    old = post_events(adapters, 3)
    as_released(adapters, old)
    assert every_event(adapters) == old[::-1]  # a scan: the released table has no byTime

    add_index(dynamodb, name, props, by_pack_shard)  # the first deploy (IndexUpgradeStep=first)
    first = post_events(adapters, 2, start=3)
    assert every_event(adapters) == (old + first)[::-1]  # still a scan: byTime is missing
    assert all(events.get(event_id).timeShard for event_id in first)  # written with its key before its index exists
    if backfill_between_deploys:  # the documented order: the index is complete when it is created
        assert backfill_event_keys(events) == 3

    add_index(dynamodb, name, props, by_time)  # the second deploy (IndexUpgradeStep=complete)
    second = post_events(adapters, 2, start=5)
    if not backfill_between_deploys:  # until the backfill ends the older events are not in byTime
        assert every_event(adapters) == (first + second)[::-1]
        assert backfill_event_keys(events) == 3
    scans: list = []
    monkeypatch.setattr(events, "scan", lambda *args, **kwargs: scans.append(args) or iter(()))
    expected = (old + first + second)[::-1]
    listed_ids = every_event(adapters)
    assert listed_ids == expected and len(set(listed_ids)) == len(expected)  # newest first, each once
    assert every_event(adapters, start=2, limit=3) == expected[2:5]
    assert every_event(adapters, event="Go", limit=4) == expected[:4]
    assert every_event(adapters, event="Other") == []
    assert scans == []  # read from byTime, never a scan
    monkeypatch.undo()
    assert backfill_event_keys(events) == 0  # idempotent
    assert {events.get(event_id).timeShard for event_id in expected} <= {str(n) for n in range(16)}


def test_the_events_backfill_script_gives_older_events_both_keys_from_its_command_line(aws, adapters, template_app):
    setup_flow(adapters)
    old = post_events(adapters, 3)
    as_released(adapters, old)
    events = adapters.models.events
    events(old[0]).update(actions=[events.packShard.set(f"Src#{PACK_SHARDS - 1}")])  # one key already there

    def run() -> str:
        script = ROOT / "scripts" / "backfill_pack_shards.py"
        command = [sys.executable, str(script), template_app.table_names["EventsTable"], "--endpoint-url", aws.endpoint]
        environment = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=environment, check=True)
        return done.stdout.strip()

    assert run() == "3 event(s) given their byPackShard and byTime keys"
    assert run() == "0 event(s) given their byPackShard and byTime keys"
    for event_id in old:
        stored = events.get(event_id)
        assert stored.packShard.startswith("Src#") and stored.timeShard in {str(n) for n in range(16)}
    assert every_event(adapters) == old[::-1]


def test_the_events_list_without_a_pack_reads_on_past_a_keys_first_page(adapters):
    registry.register(adapters, packs.parse_registration({"name": "Src"}))
    source = adapters.packs_table.get("Src")
    wanted = [pipeline.receive_event(adapters, source, "Go", {"n": n}, None).id for n in range(20)]
    others = [pipeline.receive_event(adapters, source, "Other", {"n": n}, None).id for n in range(180)]
    # most keys hold more than a page (10 entries) of newer "Other" events: "Go" is on their later pages
    assert every_event(adapters, event="Go", limit=20) == wanted[::-1]
    assert every_event(adapters, limit=1000) == (wanted + others)[::-1]


def test_the_events_by_pack_are_paged_newest_first_across_the_shards(adapters):
    setup_flow(adapters)
    posted = post_events(adapters, 9)
    shards = {adapters.models.events.get(event_id).packShard for event_id in posted}
    assert len(shards) > 1  # the events are spread over the keys
    query = EventQuery(pack_name="Src", event=None, start=2, limit=4)
    assert [stored.event.id for stored in audit.find_events(adapters, query)] == posted[::-1][2:6]
    assert audit.find_events(adapters, EventQuery(pack_name="Src", event="Other", start=0, limit=10)) == []
    # the trace records share the actions table: the unfiltered audit lists the executions only
    assert len(audit.find(adapters, Query(limit=100))) == 9


def test_an_upgrade_from_the_released_tables_finds_the_packs_of_a_name_throughout(adapters, released_packs_table):
    dynamodb, name, props, index = released_packs_table
    setup_flow(adapters)
    (action_id,) = run_executions(adapters, 1)

    def sends(labels: dict[str, str]) -> int:  # an action's sends: one per registered pack that may take it
        return pipeline.deliver(adapters, action_id, "Do", "Dst", labels)

    assert sends({}) == 1  # before the deploy: the released byName answers (byNameStable is missing)

    add_index(dynamodb, name, props, index)
    registry.register(adapters, packs.parse_registration({"name": "Dst", "labels": {"team": "b"}}))
    assert (sends({}), sends({"team": "b"}), sends({"team": "c"})) == (2, 1, 0)
    (first, second) = sorted(adapters.packs_table.with_name("Dst"), key=lambda pack: pack.labels.get("team", ""))
    assert (first.labels, second.labels) == ({}, {"team": "b"})
    assert first.queue_url and second.queue_url  # what a send needs is projected ...
    assert first.last_seen is None  # ... and lastSeen is not: the calls of a pack never write to the index
    assert adapters.packs_table.get(first.id).last_seen is not None

    # the next release removes byName: byNameStable alone answers
    dynamodb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byName"}}])
    assert (sends({}), sends({"team": "b"})) == (2, 1)


def unfiltered(adapters, start: int = 0, limit: int = 100) -> list[str]:
    return [record.correlation_id for record in audit.find(adapters, Query(start=start, limit=limit))]


def finish(adapters, action_id: str) -> None:
    """A state change of one action: its execution becomes the newest."""
    actions = adapters.models.actions
    actions(action_id).update(actions=[actions.state.set("SUCCESS"), actions.stateTime.set(times.now())])


def test_an_upgrade_from_the_released_tables_keeps_every_execution_in_the_audit_list(adapters, released_actions_table_of_main):
    dynamodb, name, props, index = released_actions_table_of_main
    setup_flow(adapters)
    old = run_executions(adapters, 3)
    actions = adapters.models.actions
    for action_id in old:  # as the released code wrote them: no timeShard
        actions(action_id).update(actions=[actions.timeShard.remove()])
    correlation = {action_id: actions.get(action_id).correlationId for action_id in old}
    before = unfiltered(adapters)
    assert sorted(before) == sorted(correlation.values())  # a scan, while byTime is missing

    add_index(dynamodb, name, props, index)
    new = run_executions(adapters, 2)
    correlation |= {action_id: actions.get(action_id).correlationId for action_id in new}
    assert backfill_flow_shards(actions) == 3  # the same backfill gives both keys
    assert backfill_flow_shards(actions) == 0
    finish(adapters, old[0])
    expected = [correlation[a] for a in [old[0], *new[::-1], old[2], old[1]]]
    assert unfiltered(adapters) == expected  # from byTime, latest state change first
    assert unfiltered(adapters, start=1, limit=2) == expected[1:3]
    assert {actions.get(a).timeShard for a in old + new} <= {str(n) for n in range(16)}


def test_the_audit_list_reads_bytime_newest_first_across_its_keys_and_pages(adapters):
    setup_flow(adapters)
    created = run_executions(adapters, 12)
    actions = adapters.models.actions
    correlation = {action_id: actions.get(action_id).correlationId for action_id in created}
    assert len({actions.get(a).timeShard for a in created}) > 1
    for action_id in created[3::-1]:  # the first four change last, in reverse
        finish(adapters, action_id)
    expected = [correlation[a] for a in [*created[:4], *created[:3:-1]]]
    assert unfiltered(adapters, limit=20) == expected
    assert unfiltered(adapters, start=3, limit=4) == expected[3:7]
    assert [r.correlation_id for r in audit.find(adapters, Query(step_id="s", limit=2))] == expected[:2]
    assert audit.find(adapters, Query(action_name="Other")) == []
