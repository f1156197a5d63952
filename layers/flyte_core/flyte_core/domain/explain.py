"""Explainability: dry runs of a flow and replays of an edit over stored events.

Both evaluate steps with `execution.outcomes`, the pipeline's own rules, and leave its side effects
out: nothing is stored, no action is created, nothing is queued (templates may read the datastore).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from . import bounds, chat, execution, packs, times
from .errors import InvalidInput
from .events import Event, new_event, trace_location
from .execution import Execution, StepOutcome

DEFAULT_REPLAY_LIMIT, MAX_REPLAY_LIMIT = 200, 1000
DEFAULT_REPLAY_WINDOW = "P7D"
STATES = ("SUCCESS", "FATAL", "NEW", "PENDING")
_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


# --- requests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestInput:
    """What a dry run evaluates a flow against: an event, and optionally the execution it continues."""

    event: Event
    states: dict[str, str]
    context: dict[str, str]


def parse_test_input(body: Mapping[str, Any]) -> TestInput:
    """`event`, `states` and `context` of a test request body; InvalidInput naming the field."""
    return TestInput(
        _test_event(body.get("event")),
        _string_map(body.get("states"), "states", allowed=STATES),
        _string_map(body.get("context"), "context"),
    )


def _test_event(value: Any) -> Event:
    if not isinstance(value, dict):
        raise InvalidInput(
            '\'event\' must be an object {"packName", "packLabels", "event", "payload", "chatActor"}.', field="event"
        )
    pack_name = value.get("packName")
    if not isinstance(pack_name, str) or not pack_name:
        raise InvalidInput("'event.packName' must be a non-empty string: the pack that sends the event.", field="event.packName")
    name = value.get("event")
    if not isinstance(name, str):
        raise InvalidInput("'event.event' must be a string: the event's name.", field="event.event")
    labels = _string_map(value.get("packLabels"), "event.packLabels")
    created_at = None
    if value.get("createdAt") not in (None, ""):
        try:
            created_at = times.parse_time(value["createdAt"])
        except ValueError:
            raise InvalidInput(
                f"'event.createdAt' must be an RFC 3339 time, got {value['createdAt']!r}.", field="event.createdAt"
            ) from None
    # a dry run may say who acts in chat (issue 27): `chatActor`, as a chat pack's event carries it
    claimed = chat.parse_posted_actor({chat.BODY_FIELD: value.get(chat.BODY_FIELD)})
    actor = chat.with_chat_actor({}, claimed, True, "") or None
    return new_event(name, packs.pack_id(pack_name, labels), pack_name, labels, value.get("payload"), created_at, actor=actor)


def _string_map(value: Any, where: str, allowed: tuple[str, ...] | None = None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidInput(f"'{where}' must be an object whose values are strings.", field=where)
    for key, item in value.items():
        if allowed and item not in allowed:
            raise InvalidInput(f"'{where}.{key}' must be one of {', '.join(allowed)}, got {item!r}.", field=f"{where}.{key}")
    return dict(value)


def parse_since(text: Any, now: datetime) -> datetime:
    """An RFC 3339 time, or an ISO 8601 duration back from now (`P7D`, `PT6H`, `P1W`)."""
    if not isinstance(text, str) or not text:
        raise InvalidInput("'since' must be an RFC 3339 time or an ISO 8601 duration such as P7D.", field="since")
    match = _DURATION.match(text.strip().upper())
    if match and any(match.groups()):
        weeks, days, hours, minutes, seconds = (float(part or 0) for part in match.groups())
        try:
            return now - timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
        except OverflowError:
            raise InvalidInput(f"'since' reaches back before year 1: {text!r}.", field="since") from None
    try:
        return times.parse_time(text)
    except ValueError:
        raise InvalidInput(
            f"'since' must be an RFC 3339 time or an ISO 8601 duration such as P7D, got {text!r}.", field="since"
        ) from None


def parse_replay_limit(value: Any) -> int:
    if value is None:
        return DEFAULT_REPLAY_LIMIT
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_REPLAY_LIMIT:
        raise InvalidInput(f"'limit' must be a whole number from 1 to {MAX_REPLAY_LIMIT}.", field="limit")
    return value


# --- evaluation (pure: templates come in as functions) ------------------------------------------


def dry_run(
    flow: dict[str, Any],
    test: TestInput,
    render: execution.Render,
    parse_bool: execution.ParseBool,
    claims_of: execution.ClaimsOf | None = None,
) -> list[StepOutcome]:
    """Every step's outcome, as the pipeline would decide it for this event in this execution."""
    return execution.outcomes(Execution("", "", flow, test.context, test.states), test.event, render, parse_bool, claims_of)


def _effect(outcome: StepOutcome | None) -> dict[str, Any] | None:
    """What a step does with an event, for comparing two versions: the command it fires, if any (a
    step a version does not have fires nothing)."""
    return outcome.command if outcome is not None and outcome.fired else None


def changes(event_id: str, before: list[StepOutcome], after: list[StepOutcome]) -> list[dict[str, Any]]:
    """The steps whose outcome differs between two versions for one event: fired in one and not the
    other, or fired with a different command (pack, name, labels or input)."""
    old, new = {o.id: o for o in before}, {o.id: o for o in after}
    step_ids = [*new, *(step_id for step_id in old if step_id not in new)]
    return [
        {
            "eventId": event_id,
            "stepId": step_id,
            "before": old[step_id].as_json() if step_id in old else None,
            "after": new[step_id].as_json() if step_id in new else None,
        }
        for step_id in step_ids
        if _effect(old.get(step_id)) != _effect(new.get(step_id))
    ]


def _listed(change: dict[str, Any], base: str) -> dict[str, Any]:
    """A change as a replay lists it: large contexts and inputs cut, linked to the event's trace."""
    href = trace_location(base, change["eventId"])
    for side in ("before", "after"):
        outcome = change[side]
        if outcome is not None:
            outcome["context"] = bounds.cut(outcome["context"], href)
            if outcome["command"] is not None:
                outcome["command"]["input"] = bounds.cut(outcome["command"]["input"], href)
    return change


def replay(
    candidate: dict[str, Any],
    current: dict[str, Any] | None,
    events: list[Event],
    render: execution.Render,
    parse_bool: execution.ParseBool,
    base: str,
    claims_of: execution.ClaimsOf | None = None,
) -> dict[str, Any]:
    """Each event as a new execution of the current version and of the candidate (api-contract §5.2). The
    answer fits one response: large values are cut, and changes beyond the list budget are counted
    in `changesNotShown` (a shorter window or limit shows them)."""
    found: list[dict[str, Any]] = []
    unchanged = 0
    for event in events:
        fresh = TestInput(event, {}, {})
        before = dry_run(current, fresh, render, parse_bool, claims_of) if current else []
        differences = changes(event.id, before, dry_run(candidate, fresh, render, parse_bool, claims_of))
        found.extend(differences)
        unchanged += not differences
    listed = [_listed(change, base) for change in found]
    shown = bounds.fitting([bounds.json_size(change) for change in listed]) if listed else 0
    answer = {"flow": candidate["name"], "eventsConsidered": len(events), "changes": listed[:shown], "unchanged": unchanged}
    if shown < len(listed):
        answer["changesNotShown"] = len(listed) - shown
    return answer


def outcomes_representation(flow: dict[str, Any], outcomes: list[StepOutcome]) -> dict[str, Any]:
    return {"flow": flow["name"], "steps": [o.as_json() for o in outcomes]}
