"""Events as Flyte sees them: what packs post (api-contract §4.1) and how they appear in actions and templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import bounds, ids, times
from .errors import InvalidInput

ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)
FATAL = "FATAL"


@dataclass(frozen=True)
class Event:
    id: str
    name: str
    pack_id: str
    pack_name: str
    pack_labels: dict[str, str] = field(default_factory=dict)
    payload: Any = None
    created_at: datetime = ZERO_TIME
    received_at: datetime = ZERO_TIME
    action_id: str | None = None  # a result event: the action it completes
    actor: dict[str, Any] | None = None  # who posted it ({iss, sub} or anonymous, [chat]); None: the engine itself

    def as_json(self) -> dict[str, Any]:
        """The event as the audit and actions show it (api-contract §4.2)."""
        pack: dict[str, Any] = {"id": self.pack_id, "name": self.pack_name}
        if self.pack_labels:
            pack["labels"] = self.pack_labels
        return {
            "id": self.id,
            "event": self.name,
            "pack": pack,
            "payload": self.payload,
            "createdAt": times.format_time(self.created_at) if self.created_at > ZERO_TIME else "0001-01-01T00:00:00Z",
            "receivedAt": times.format_time(self.received_at) if self.received_at > ZERO_TIME else "0001-01-01T00:00:00Z",
            **({"actor": self.actor} if self.actor else {}),
        }

    def template_value(self) -> dict[str, Any]:
        """`Event` in templates, with the original's Go field names (api-contract §10.2)."""
        return {
            "Name": self.name,
            "Payload": self.payload,
            "Pack": {"Id": self.pack_id, "Name": self.pack_name, "Labels": self.pack_labels},
            "CreatedAt": self.created_at,
            "ReceivedAt": self.received_at,
        }


def new_event(
    name: str,
    pack_id: str,
    pack_name: str,
    pack_labels: dict[str, str],
    payload: Any,
    created_at: datetime | None = None,
    action_id: str | None = None,
    actor: dict[str, Any] | None = None,
    event_id: str | None = None,
) -> Event:
    """An event received now: a fresh time-ordered id (or the one given), createdAt defaulting to the
    time received."""
    now = times.now()
    return Event(
        id=event_id or ids.new_id(now.timestamp()),
        name=name,
        pack_id=pack_id,
        pack_name=pack_name,
        pack_labels=pack_labels,
        payload=payload,
        created_at=created_at or now,
        received_at=now,
        action_id=action_id,
        actor=actor,
    )


@dataclass(frozen=True)
class StoredEvent:
    """An event with what the step matcher made of it: its trace, every flow it considered with
    every step's outcome (None: not processed yet)."""

    event: Event
    trace: list[dict[str, Any]] | None = None
    fired_steps: int = 0
    processed_at: datetime | None = None


def trace_location(base: str, event_id: str) -> str:
    """Where an event's trace is (what the step matcher made of it)."""
    return f"{base}v1/audit/events/{event_id}"


ZERO_EVENT_JSON = {
    "id": "",
    "event": "",
    "pack": {"id": "", "name": ""},
    "payload": None,
    "createdAt": "0001-01-01T00:00:00Z",
    "receivedAt": "0001-01-01T00:00:00Z",
}


def parse_posted(body: Any) -> tuple[str, Any, datetime | None]:
    """Name, payload and createdAt of a posted event or result body.

    A `pack` key is ignored: the sender's identity is the registered pack (the original let the
    body override it, api-contract §13.5).
    """
    if not isinstance(body, dict):
        raise InvalidInput('An event must be a JSON object {"event", "payload", "createdAt"}.')
    name = body.get("event", "")
    if name is None:
        name = ""
    if not isinstance(name, str):
        raise InvalidInput("'event' must be a string (the event name).", field="event")
    bounds.check_name(name, "event", what="event name", path_segment=False, allow_empty=True)
    bounds.check_size(body.get("payload"), bounds.MAX_PAYLOAD_BYTES, what="payload", field="payload")
    created_at = body.get("createdAt")
    if created_at in (None, "", "0001-01-01T00:00:00Z"):
        return name, body.get("payload"), None
    try:
        parsed = times.parse_time(created_at)
    except ValueError:
        raise InvalidInput(f"'createdAt' must be an RFC 3339 time, got {str(created_at)[:80]!r}.", field="createdAt") from None
    return name, body.get("payload"), parsed
