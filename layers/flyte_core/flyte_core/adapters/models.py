"""PynamoDB models of every table in template.yaml.

The record classes below say what an item holds; they name no table. `TableModels(aws)` binds each
to its table from the settings (a subclass with its own Meta, which PynamoDB supports: indexes and
connections are per class), so the names are chosen when the adapters are built, not at import.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from ..settings import TableNames
from .aws import Aws


class StepIdAttribute(UnicodeAttribute):
    """A step id, which may be "" (a step without an id, as in the original); DynamoDB refuses an empty
    string as an index key, so "" is stored as NUL, which no flow's step id is."""

    EMPTY = "\x00"

    def serialize(self, value: str) -> str:
        return value if value else self.EMPTY

    def deserialize(self, value: str) -> str:
        return "" if value == self.EMPTY else value


class PackNameIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "byName"
        projection = AllProjection()

    name = UnicodeAttribute(hash_key=True)


class PackNameStableIndex(GlobalSecondaryIndex):
    """Issue 21: the packs of one name, projecting what registration writes and not lastSeen, so a
    pack's calls (which refresh lastSeen) never write to it. Successor of byName (which projects
    every attribute): removed in the next release (docs/scale.md "Upgrading the indexes")."""

    class Meta:
        index_name = "byNameStable"
        projection = IncludeProjection(["labels", "commands", "events", "links", "queueUrl", "registeredBy", "delivery"])

    name = UnicodeAttribute(hash_key=True)


class PackModel(Model):
    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    labels: MapAttribute[str, str] = MapAttribute(default=dict)
    commands = JSONAttribute(default=list)
    events = JSONAttribute(default=list)
    links = JSONAttribute(default=list)
    lastSeen = UTCDateTimeAttribute()
    queueUrl = UnicodeAttribute()
    registeredBy = JSONAttribute(null=True)  # who registered it: {iss, sub, email?} or {sub: anonymous}
    delivery = JSONAttribute(null=True)  # push delivery: {url, secret (sealed), apiBase}; absent: long poll
    by_name = PackNameIndex()  # retired by byNameStable: removed in the next release (docs/scale.md)
    by_name_stable = PackNameStableIndex()


class FlowModel(Model):
    """The current version of each flow, by name."""

    name = UnicodeAttribute(hash_key=True)
    uuid = UnicodeAttribute()
    definition = JSONAttribute()
    triggers = JSONAttribute(default=list)
    updatedAt = UTCDateTimeAttribute()


class FlowVersionsByNameIndex(GlobalSecondaryIndex):
    """The versions of one flow, oldest first (keys only: the definitions are read by uuid)."""

    class Meta:
        index_name = "byName"
        projection = KeysOnlyProjection()

    name = UnicodeAttribute(hash_key=True)
    createdAt = UTCDateTimeAttribute(range_key=True)


class FlowVersionModel(Model):
    """Every flow ever posted, immutable, by uuid: executions finish on the version they started on."""

    uuid = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    definition = JSONAttribute()
    createdAt = UTCDateTimeAttribute()
    by_name = FlowVersionsByNameIndex()


class FlowTriggerModel(Model):
    """Index of trigger steps: (pack name, event name) -> the current flows it starts."""

    trigger = UnicodeAttribute(hash_key=True)
    flowName = UnicodeAttribute(range_key=True)
    uuid = UnicodeAttribute()


class DatastoreItemModel(Model):
    key = UnicodeAttribute(hash_key=True)
    value = BinaryAttribute(legacy_encoding=False)
    contentType = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    updatedAt = UTCDateTimeAttribute()
    updatedBy = JSONAttribute(null=True)  # who stored it: {iss, sub, email?} or {sub: anonymous}


class EventsByPackIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "byPack"
        projection = AllProjection()

    packName = UnicodeAttribute(hash_key=True)
    receivedAt = UTCDateTimeAttribute(range_key=True)


class EventsByPackShardIndex(GlobalSecondaryIndex):
    """Issue 21: the events of one pack name by arrival, spread over PACK_SHARDS keys
    ("<packName>#<n>", the shard chosen by the event id), projecting only the name its queries filter
    on (the events are read by key after). Written once per event: an event is never updated.
    Successor of byPack (one key per pack name, every attribute projected): removed in the next release."""

    class Meta:
        index_name = "byPackShard"
        projection = IncludeProjection(["name"])

    packShard = UnicodeAttribute(hash_key=True)
    receivedAt = UTCDateTimeAttribute(range_key=True)


class EventsByTimeIndex(GlobalSecondaryIndex):
    """Issue 21: every event by arrival, for the events audit without a pack (before: a scan of the
    table per request). Spread over TIME_SHARDS keys ("0".."15", by event id), read newest first and
    merged; projects only the name its queries filter on (the events are read by key after).
    Written once per event. An upgrading stack gets it with its second deploy (IndexUpgradeStep)."""

    class Meta:
        index_name = "byTime"
        projection = IncludeProjection(["name"])

    timeShard = UnicodeAttribute(hash_key=True)
    receivedAt = UTCDateTimeAttribute(range_key=True)


class EventModel(Model):
    """Every event a pack posted or a result completed; its stream drives the step matcher. What the
    matcher made of it (its trace) is a TraceModel record; events of older releases carry it here."""

    id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    packId = UnicodeAttribute()
    packName = UnicodeAttribute()
    packLabels: MapAttribute[str, str] = MapAttribute(default=dict)
    payload = JSONAttribute(null=True)
    createdAt = UTCDateTimeAttribute()
    receivedAt = UTCDateTimeAttribute()
    actionId = UnicodeAttribute(null=True)  # set on result events: the action they complete
    actor = JSONAttribute(null=True)  # who posted it: {iss, sub} or {sub: anonymous}
    writeToken = UnicodeAttribute(null=True)  # the write that stored it (a retry recognises its own, issue 30)
    expiresAt = TTLAttribute()
    packShard = UnicodeAttribute(null=True)  # "<packName>#<n>": its key in byPackShard (old events: from the backfill)
    timeShard = UnicodeAttribute(null=True)  # "<n>": its key in byTime (old events: from the same backfill)
    # written here by older releases only (now a TraceModel record): read for the events that have it
    trace = JSONAttribute(null=True)
    firedSteps = NumberAttribute(null=True)
    processedAt = UTCDateTimeAttribute(null=True)
    by_pack = EventsByPackIndex()  # retired by byPackShard: removed in the next release (docs/scale.md)
    by_pack_shard = EventsByPackShardIndex()
    by_time = EventsByTimeIndex()


class TraceModel(Model):
    """Issue 21: what the step matcher made of one event, an item of its own in the actions table
    (key "trace#<event id>", recordType "trace"; it has none of the indexes' keys, so it is in none),
    written once by the matcher: the event itself is written once, when it is stored. The actions
    table has no stream, so the record starts nothing."""

    id = UnicodeAttribute(hash_key=True)
    recordType = UnicodeAttribute(default="trace")
    eventId = UnicodeAttribute()
    trace = JSONAttribute()  # [{name, correlationId, steps: [outcomes]}]
    firedSteps = NumberAttribute(default=0)
    processedAt = UTCDateTimeAttribute()
    expiresAt = TTLAttribute()


class ByCorrelationIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "byCorrelation"
        projection = AllProjection()

    correlationId = UnicodeAttribute(hash_key=True)
    stepId = StepIdAttribute(range_key=True)


class WaitingIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "waiting"
        projection = AllProjection()

    waitingPack = UnicodeAttribute(hash_key=True)
    createdAt = UTCDateTimeAttribute(range_key=True)


class ByFlowIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "byFlow"
        projection = AllProjection()

    flowName = UnicodeAttribute(hash_key=True)
    stateTime = UTCDateTimeAttribute(range_key=True)


class ByFlowShardIndex(GlobalSecondaryIndex):
    """Issue 21: the actions of one flow by creation, for the audit filtered by flow. Its keys never
    change after the action is created (byFlow's stateTime changed at every claim and finish, and one
    busy flow wrote them all to one key), the flow is spread over FLOW_SHARDS keys, and it projects
    only what the audit filters on: the index is written once per action."""

    class Meta:
        index_name = "byFlowShard"
        projection = IncludeProjection(["recordType", "flowName", "name", "packName", "stepId", "correlationId"])

    flowShard = UnicodeAttribute(hash_key=True)
    createdAt = UTCDateTimeAttribute(range_key=True)


class ByTimeIndex(GlobalSecondaryIndex):
    """Issue 21: every action by its last state change, for the audit's list without a flow (before:
    a scan of the table per request). Spread over TIME_SHARDS keys ("0".."15", by action id), read
    newest first and merged; projects what the audit filters on. Its sort key moves at each state
    change (2 write units), the price of the contract's order (latest state change first)."""

    class Meta:
        index_name = "byTime"
        projection = IncludeProjection(["correlationId", "name", "packName", "packLabels", "stepId"])

    timeShard = UnicodeAttribute(hash_key=True)
    stateTime = UTCDateTimeAttribute(range_key=True)


class ActionModel(Model):
    """An action (a command for a pack) or, with recordType stepFailure, a step that failed to render."""

    id = UnicodeAttribute(hash_key=True)
    recordType = UnicodeAttribute(default="action")
    name = UnicodeAttribute()
    packName = UnicodeAttribute()
    packLabels: MapAttribute[str, str] = MapAttribute(default=dict)
    input = JSONAttribute(null=True)
    secretRefs = JSONAttribute(null=True)  # where the input holds secret masks, never values (issue 24)
    state = UnicodeAttribute()
    stateTime = UTCDateTimeAttribute()
    states: ListAttribute[dict[str, Any]] = ListAttribute(default=list)  # [{value, time, ...}], appended to by each state change
    correlationId = UnicodeAttribute()
    flowName = UnicodeAttribute()
    flowUUID = UnicodeAttribute()
    stepId = StepIdAttribute()
    context: MapAttribute[str, Any] = MapAttribute(default=dict)
    trigger = JSONAttribute(null=True)
    result = JSONAttribute(null=True)
    error = JSONAttribute(null=True)
    attempts = NumberAttribute(default=0)
    leaseExpiresAt = UTCDateTimeAttribute(null=True)
    claimQueueUrl = UnicodeAttribute(null=True)
    claimReceipt = UnicodeAttribute(null=True)
    takenBy = JSONAttribute(null=True)  # who holds the current claim: {iss, sub} or {sub: anonymous}
    claimToken = UnicodeAttribute(null=True)  # the claim that holds it (a retried claim recognises its own)
    resultToken = UnicodeAttribute(null=True)  # the result request that finished it (a repeat recognises its own)
    waitingPack = UnicodeAttribute(null=True)  # the pack name while the action is unfinished (sparse index)
    approval = JSONAttribute(null=True)  # issue 27: its approval in chat (rules, where asked, who asked)
    answeredBy: ListAttribute[str] = ListAttribute(null=True)  # the chat users whose answer is recorded (strings)
    approvals = NumberAttribute(null=True)  # the approvals that count
    flowShard = UnicodeAttribute(
        null=True
    )  # "<flowName>#<n>": its key in byFlowShard (absent on records of old releases until backfilled)
    timeShard = UnicodeAttribute(null=True)  # "<n>": its key in byTime (actions only; older ones from the backfill)
    createdAt = UTCDateTimeAttribute()
    expiresAt = TTLAttribute()
    by_correlation = ByCorrelationIndex()
    waiting = WaitingIndex()
    by_flow = ByFlowIndex()  # retired by byFlowShard: removed in the next release (docs/scale.md)
    by_flow_shard = ByFlowShardIndex()
    by_time = ByTimeIndex()


class RevocationModel(Model):
    """A revoked token id or subject (issue 19). One partition holds the whole deny list, so a
    function reads it with one Query; it stays small, as entries expire after the longest token life."""

    partition = UnicodeAttribute(hash_key=True, attr_name="list")  # always the one list
    id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # jti | sub
    value = UnicodeAttribute()
    issuer = UnicodeAttribute(null=True)
    revokedAt = UTCDateTimeAttribute()
    revokedBy = JSONAttribute()
    reason = UnicodeAttribute(default="")
    expiresAt = TTLAttribute()


_RECORDS = {
    "packs": PackModel,
    "flows": FlowModel,
    "flow_versions": FlowVersionModel,
    "flow_triggers": FlowTriggerModel,
    "datastore": DatastoreItemModel,
    "events": EventModel,
    "actions": ActionModel,
}


class TableModels:
    """The model class of each table, bound to the table names and endpoint of one set of settings."""

    packs: type[PackModel]
    flows: type[FlowModel]
    flow_versions: type[FlowVersionModel]
    flow_triggers: type[FlowTriggerModel]
    datastore: type[DatastoreItemModel]
    events: type[EventModel]
    actions: type[ActionModel]
    traces: type[TraceModel]  # in the actions table

    def __init__(self, aws: Aws, tables: TableNames) -> None:
        for field, (record, table) in {**{f: (r, f) for f, r in _RECORDS.items()}, "traces": (TraceModel, "actions")}.items():
            meta = aws.pynamodb_meta(getattr(tables, table))
            setattr(self, field, type(record.__name__, (record,), {"Meta": meta, "__module__": __name__}))
