"""Events in the events table; writing one is what starts the step matcher (table stream)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..domain.events import Event
from ..settings import Settings
from .models import EventModel


class EventsTable:
    def __init__(self, model: type[EventModel], settings: Settings) -> None:
        self.model = model
        self._retention = timedelta(seconds=settings.ttl_seconds)

    def to_model(self, event: Event) -> EventModel:
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
            expiresAt=event.received_at + self._retention,
        )

    def put(self, event: Event) -> None:
        self.to_model(event).save(condition=self.model.id.does_not_exist())

    def from_stream_image(self, image: dict[str, Any]) -> Event:
        """The event in a stream record's NewImage (DynamoDB JSON); ValueError if it is not a whole event."""
        model = self.model.from_raw_data(image)
        missing = [
            name for name in ("id", "name", "packId", "packName", "createdAt", "receivedAt") if getattr(model, name) is None
        ]
        if missing:
            raise ValueError(f"event record {image.get('id')} lacks {', '.join(missing)}")
        return _from_model(model)


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
    )
