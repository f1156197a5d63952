"""Issue 21: the write units `make cost-table` gives each counted item write follow what the write
touches and template.yaml's indexes: a pack's lastSeen no longer reaches an index that needs it, an
event's put reaches its by-pack indexes once, and a trace record reaches none."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import cost_table

from flyte_local.runtime import ITEM_COUNT, _item_writes

INDEXES = cost_table.template_facts()[0]
TABLES = {"packs": "PacksTable", "events": "EventsTable", "actions": "ActionsTable"}


def units(*writes: str) -> float:
    return cost_table.write_units(Counter({ITEM_COUNT + write: 1 for write in writes}), TABLES, INDEXES)[0]


def test_a_write_request_is_counted_by_the_attributes_it_writes():
    put = {"TableName": "events", "Item": {"id": {"S": "e"}, "packShard": {"S": "P#1"}, "name": {"S": "Go"}}}
    update = {
        "TableName": "packs",
        "Key": {"id": {"S": "p"}},
        "UpdateExpression": "SET #0 = :0",
        "ConditionExpression": "attribute_exists (#1)",
        "ExpressionAttributeNames": {"#0": "lastSeen", "#1": "id"},
    }
    assert _item_writes("PutItem", json.dumps(put)) == ["Put@events@id,name,packShard"]
    assert _item_writes("UpdateItem", json.dumps(update)) == ["Update@packs@lastSeen"]  # not the condition's names
    transaction = {"TransactItems": [{"Put": put}, {"ConditionCheck": {"TableName": "packs"}}, {"Update": update}]}
    assert _item_writes("TransactWriteItems", json.dumps(transaction)) == [
        "Put@events@id,name,packShard",
        "Update@packs@lastSeen",
    ]
    assert _item_writes("GetItem", json.dumps({"TableName": "packs"})) == []


def test_lastseen_reaches_only_the_retired_by_name_index():
    released, retired = units("Update@packs@lastSeen"), units("Update@packs@labels")
    assert released == 2  # the table and byName (every attribute); byNameStable does not project it
    assert retired == 3  # registration's attributes reach both


def test_an_event_is_written_once_to_each_by_pack_index_and_a_trace_to_no_index():
    assert units("Put@events@createdAt,id,name,packName,packShard,receivedAt") == 3  # table, byPack, byPackShard
    assert units("Put@actions@eventId,expiresAt,firedSteps,id,processedAt,recordType,trace") == 1
    # a claim: stateTime moves the action in byFlow and byTime (a delete and a put each), byCorrelation
    # and waiting project every attribute, byFlowShard none of these
    assert units("Update@actions@attempts,leaseExpiresAt,state,stateTime,states") == 1 + 1 + 1 + 2 + 0 + 2
