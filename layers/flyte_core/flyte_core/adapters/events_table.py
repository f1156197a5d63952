"""Events in the events table; writing one is what starts the step matcher (table stream). The
matcher writes each event's trace back onto it, so the event and why it did (not) fire are one item."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from ..domain.errors import StateConflict
from ..domain.events import Event, StoredEvent
from ..settings import Settings
from .conditions import attempt_token, settled
from .models import EventModel

# A DynamoDB item holds 400 KB, the event included: a trace beyond this keeps outcomes and details
# but leaves out rendered contexts and inputs.
TRACE_MAX_BYTES = 200_000


class EventsTable:
    def __init__(self, model: type[EventModel], settings: Settings) -> None:
        self.model = model
        self._retention = timedelta(seconds=settings.ttl_seconds)

    def to_model(self, event: Event, token: str | None = None) -> EventModel:
        return self.model(
            event.id,
            name=event.name,
            packId=event.pack_id,
            packName=event.pack_name,
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
        """Write what the matcher made of an event onto it: one UpdateItem, the same on a redelivery.
        An event that is gone (expired) is left gone."""
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
        model = self.model
        try:
            model(event_id).update(
                actions=[model.trace.set(trace), model.firedSteps.set(fired_steps), model.processedAt.set(at)],
                condition=model.id.exists(),
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise

    def get(self, event_id: str) -> StoredEvent | None:
        try:
            return _stored(self.model.get(event_id, consistent_read=True))
        except DoesNotExist:
            return None

    def newest_first(self, pack_name: str | None, name: str | None, limit: int) -> Iterator[StoredEvent]:
        """Events newest first, up to `limit`: by pack through its index, otherwise a paginated scan
        (listing only) sorted here."""
        model = self.model
        condition = (model.name == name) if name is not None else None
        if pack_name is not None:
            models: Iterable[EventModel] = model.by_pack.query(
                pack_name, filter_condition=condition, scan_index_forward=False, limit=limit
            )
        else:
            models = sorted(model.scan(condition), key=lambda m: (m.receivedAt, m.id), reverse=True)[:limit]
        return (_stored(item) for item in models)

    def received_since(self, pack_name: str, names: Iterable[str], since: datetime, limit: int) -> list[Event]:
        """Events of these names from one pack name, received at or after `since`, newest first."""
        model = self.model
        models = model.by_pack.query(
            pack_name, model.receivedAt >= since, filter_condition=model.name.is_in(*names), scan_index_forward=False, limit=limit
        )
        return [_from_model(item) for item in models]


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


def _stored(model: EventModel) -> StoredEvent:
    return StoredEvent(
        _from_model(model), trace=model.trace, fired_steps=int(model.firedSteps or 0), processed_at=model.processedAt
    )
