"""Events in the events table; writing one is what starts the step matcher (table stream). What the
matcher made of an event (its trace) is a record of its own in the actions table (issue 21), so an
event is written once; events stored by older releases carry their trace on themselves."""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from ..domain.errors import StateConflict
from ..domain.events import Event, StoredEvent
from ..settings import Settings
from .conditions import attempt_token, settled
from .indexes import TIME_SHARDS, backfill_keys, if_index_ready, newest_across_shards, time_shard
from .models import EventModel, TraceModel

# A DynamoDB item holds 400 KB, the event included: a trace beyond this keeps outcomes and details
# but leaves out rendered contexts and inputs.
TRACE_MAX_BYTES = 200_000
# Keys of one pack name in byPackShard (issue 21). An event is written to it once, about 1 write unit
# (keys and name), and a key takes 1,000 a second: one pack posting 1,000 events a second and as
# many results (result events carry its name too) puts 2,000 a second on its name, 500 on each key.
PACK_SHARDS = 4


def pack_shard(pack_name: str, event_id: str) -> str:
    """The byPackShard key of an event: its pack name and a shard chosen by its id."""
    return f"{pack_name}#{zlib.crc32(event_id.encode()) % PACK_SHARDS}"


def trace_key(event_id: str) -> str:
    """The key of an event's trace record in the actions table (no action id has a '#')."""
    return f"trace#{event_id}"


class EventsTable:
    def __init__(self, model: type[EventModel], traces: type[TraceModel], settings: Settings) -> None:
        self.model = model
        self.traces = traces
        self._retention = timedelta(seconds=settings.ttl_seconds)

    def to_model(self, event: Event, token: str | None = None) -> EventModel:
        return self.model(
            event.id,
            name=event.name,
            packId=event.pack_id,
            packName=event.pack_name,
            packShard=pack_shard(event.pack_name, event.id),
            timeShard=time_shard(event.id),
            packLabels=event.pack_labels,
            payload=event.payload,
            createdAt=event.created_at,
            receivedAt=event.received_at,
            actionId=event.action_id,
            actor=event.actor,
            writeToken=token,
            expiresAt=event.received_at + self._retention,
        )

    def put(self, event: Event, token: str | None = None) -> None:
        """Store a new event. `token` names this logical write (a fresh one by default): when the
        put's reply is lost and its retry finds the item there, the item holding this token means it
        was this write, and the put succeeded. StateConflict when the id holds another write's event."""
        token = token or attempt_token()
        if not settled(
            lambda: self.to_model(event, token).save(condition=self.model.id.does_not_exist()),
            lambda: self.write_token(event.id) == token,
        ):
            raise StateConflict(f"Event {event.id} exists and was written by another request.")

    def write_token(self, event_id: str) -> str | None:
        """The token of the write that stored an event (None: no such event, or one stored without)."""
        try:
            return self.model.get(event_id, consistent_read=True, attributes_to_get=["writeToken"]).writeToken
        except DoesNotExist:
            return None

    def from_stream_image(self, image: dict[str, Any]) -> Event:
        """The event in a stream record's NewImage (DynamoDB JSON); ValueError if it is not a whole event."""
        model = self.model.from_raw_data(image)
        missing = [
            name for name in ("id", "name", "packId", "packName", "createdAt", "receivedAt") if getattr(model, name) is None
        ]
        if missing:
            raise ValueError(f"event record {image.get('id')} lacks {', '.join(missing)}")
        return _from_model(model)

    def record_trace(self, event_id: str, trace: list[dict[str, Any]], fired_steps: int, at: datetime) -> None:
        """Store what the matcher made of an event: one put of its trace record (in no index), the
        same on a redelivery. The event item itself is not written again."""
        if len(json.dumps(trace, default=str)) > TRACE_MAX_BYTES:
            trace = [
                {
                    **flow,
                    "steps": [
                        {**step, "context": None, "command": step["command"] and {**step["command"], "input": None}}
                        for step in flow["steps"]
                    ],
                    "truncated": True,
                }
                for flow in trace
            ]
        self.traces(
            trace_key(event_id),
            eventId=event_id,
            trace=trace,
            firedSteps=fired_steps,
            processedAt=at,
            expiresAt=at + self._retention,
        ).save()

    def get(self, event_id: str) -> StoredEvent | None:
        """An event and its trace: from its trace record, or from the event (stored by an older release)."""
        try:
            model = self.model.get(event_id, consistent_read=True)
        except DoesNotExist:
            return None
        if model.trace is not None:
            return _stored(model)
        try:
            record = self.traces.get(trace_key(event_id), consistent_read=True)  # as the event: a poll sees it at once
        except DoesNotExist:
            return _stored(model)
        return _stored(model, record)

    def newest_first(self, pack_name: str | None, name: str | None, limit: int) -> Iterator[StoredEvent]:
        """Events newest first, up to `limit`, each with whether it was processed and its fired steps
        (not its trace): by pack through its indexes, otherwise through byTime (or, while byTime is
        missing or still being built, a paginated scan sorted here)."""
        model = self.model
        condition = (model.name == name) if name is not None else None
        if pack_name is not None:
            models: list[EventModel] = self._of_pack(pack_name, None, condition, limit)
        else:
            models = self._newest(condition, limit)
        unprocessed = [m.id for m in models if m.trace is None]
        records = {
            record.eventId: record
            for record in self.traces.batch_get(
                [trace_key(event_id) for event_id in unprocessed],
                attributes_to_get=["id", "eventId", "firedSteps", "processedAt"],
            )
        }
        return (_stored(item, records.get(item.id), summary=True) for item in models)

    def _newest(self, condition: Any, limit: int) -> list[EventModel]:
        """The newest events of every pack, up to `limit`: byTime's keys merged (keys and name), then
        the events read by key; a scan of the table while byTime is not usable (an upgrade in
        progress, docs/scale.md "Upgrading the indexes")."""
        model = self.model
        # a key holds about a sixteenth of the newest: a page of twice that (one read unit's worth of
        # keys for 50) mostly ends it, and a key that holds more reads its next page
        page = max(10, 2 * limit // TIME_SHARDS)
        merged = newest_across_shards(
            lambda key: model.by_time.query(key, filter_condition=condition, scan_index_forward=False, page_size=page),
            lambda item: (item.receivedAt, item.id),
            "byTime",
        )
        if merged is None:
            return sorted(model.scan(condition), key=lambda m: (m.receivedAt, m.id), reverse=True)[:limit]
        ordered = [item.id for item in itertools.islice(merged, limit)]
        found = {item.id: item for item in model.batch_get(ordered)}
        return [found[event_id] for event_id in ordered if event_id in found]  # one expired meanwhile: left out

    def received_since(self, pack_name: str, names: Iterable[str], since: datetime, limit: int) -> list[Event]:
        """Events of these names from one pack name, received at or after `since`, newest first."""
        model = self.model
        return [_from_model(item) for item in self._of_pack(pack_name, since, model.name.is_in(*names), limit)]

    def _of_pack(self, pack_name: str, since: datetime | None, condition: Any, limit: int) -> list[EventModel]:
        """A pack name's newest events (at or after `since`), up to `limit`: from byPackShard (keys
        and name; the events then read by key) and, while a stack still has it, the retired byPack
        (events older than the upgrade that the backfill has not reached are only there). An index
        that is missing or still being built is skipped (docs/scale.md "Upgrading the indexes")."""
        model = self.model
        since_condition = (model.receivedAt >= since) if since is not None else None
        options: dict[str, Any] = {"filter_condition": condition, "scan_index_forward": False, "limit": limit}
        whole = {
            item.id: item
            for item in if_index_ready(lambda: model.by_pack.query(pack_name, since_condition, **options), "byPack") or []
        }
        newest = {(item.receivedAt, item.id) for item in whole.values()}
        for shard in range(PACK_SHARDS):
            key = f"{pack_name}#{shard}"
            found = if_index_ready(lambda: model.by_pack_shard.query(key, since_condition, **options), "byPackShard")  # noqa: B023
            newest |= {(item.receivedAt, item.id) for item in found or []}
        ordered = [event_id for _, event_id in sorted(newest, reverse=True)[:limit]]
        whole.update((item.id, item) for item in model.batch_get([event_id for event_id in ordered if event_id not in whole]))
        return [whole[event_id] for event_id in ordered if event_id in whole]


def backfill_event_keys(events: type[EventModel]) -> int:
    """Give events stored before byPackShard and byTime existed their keys there (the upgrade's
    backfill, scripts/backfill_pack_shards.py; the update is a MODIFY, which the step matcher's stream
    filter leaves out). Returns how many were updated."""
    return backfill_keys(
        events,
        events.packShard.does_not_exist() | events.timeShard.does_not_exist(),
        lambda model: [
            events.packShard.set(pack_shard(model.packName, model.id)),
            events.timeShard.set(time_shard(model.id)),
        ],
        attributes_to_get=["id", "packName"],
    )


def _from_model(model: EventModel) -> Event:
    return Event(
        id=model.id,
        name=model.name,
        pack_id=model.packId,
        pack_name=model.packName,
        pack_labels=model.packLabels.as_dict() if model.packLabels else {},
        payload=model.payload,
        created_at=model.createdAt,
        received_at=model.receivedAt,
        action_id=model.actionId,
        actor=model.actor,
    )


def _stored(model: EventModel, record: TraceModel | None = None, summary: bool = False) -> StoredEvent:
    """The event with its trace: from its trace record, else from the event (older releases). With
    `summary` the record was read without its trace (a list shows processed or not, and fired steps)."""
    if record is None:
        return StoredEvent(
            _from_model(model), trace=model.trace, fired_steps=int(model.firedSteps or 0), processed_at=model.processedAt
        )
    trace = [] if summary else record.trace
    return StoredEvent(_from_model(model), trace=trace, fired_steps=int(record.firedSteps or 0), processed_at=record.processedAt)
