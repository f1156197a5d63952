"""Issue 21: the actions table's by-flow index re-keyed in place (docs/scale.md "Upgrading the
indexes"). From the tables of the release before it (byFlow only; tests/fixtures/released-tables.json
has since moved on to the release that added byFlowShard), the upgrade
adds byFlowShard as CloudFormation does (UpdateTable, one index), the backfill gives the old actions
their key, and the audit filtered by flow finds every execution - before the backfill (through the
retired byFlow), after it, and once the next release has removed byFlow (moto)."""

from __future__ import annotations

import pytest

from flyte_core.adapters.actions_table import backfill_flow_shards
from flyte_core.domain import flows, packs
from flyte_core.domain.audit import Query
from flyte_core.services import audit, matching, pipeline, registry

# The actions table's global indexes in the release before byFlowShard (7b882fd).
RELEASE_BEFORE_SHARDS = {"byCorrelation", "waiting", "byFlow"}

FLOW = {
    "name": "upgrade",
    "steps": [{"id": "s", "event": {"packName": "Src", "name": "Go"}, "command": {"packName": "Dst", "name": "Do"}}],
}


@pytest.fixture
def released_actions_table(aws, adapters, template_app):
    """The actions table as the release before byFlowShard deployed it: recreated without it."""
    kept = RELEASE_BEFORE_SHARDS
    props = template_app.tables["ActionsTable"]
    new = [index for index in props["GlobalSecondaryIndexes"] if index["IndexName"] not in kept]
    assert [index["IndexName"] for index in new] == ["byFlowShard"]  # one index per update
    dynamodb, name = aws.client("dynamodb"), template_app.table_names["ActionsTable"]
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


def run_executions(adapters, count: int) -> list[str]:
    source = adapters.packs_table.get("Src")
    return [
        matching.match_event(adapters, pipeline.receive_event(adapters, source, "Go", {"n": n}, None)).created[0]
        for n in range(count)
    ]


def by_flow(adapters) -> set[str]:
    return {record.correlation_id for record in audit.find(adapters, Query(flow_name="upgrade", limit=100))}


def test_an_upgrade_from_the_released_tables_keeps_every_execution_in_the_audit_by_flow(adapters, released_actions_table):
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

    # the deploy: CloudFormation adds the one index; DynamoDB builds it from the table
    dynamodb.update_table(
        TableName=name,
        AttributeDefinitions=props["AttributeDefinitions"],
        GlobalSecondaryIndexUpdates=[
            {"Create": {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}}
        ],
    )
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
