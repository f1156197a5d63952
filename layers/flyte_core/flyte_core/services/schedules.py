"""Schedules (issue 22): managing them (the schedules function) and firing them (the schedule-firing
function, which EventBridge Scheduler invokes in AWS and the local stack invokes at the right second).

A firing is an event of the built-in pack `Schedule` (event name: the schedule's name; the built-in
Ticker's is flyte-ticker's `Ticker`/`Tick`) stored through the pipeline like any pack's event, with an
idempotency key of the schedule's name and scheduled time: a retried invocation stores nothing more.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..domain import schedules, times
from ..domain.errors import InvalidInput, KeyReused, NotFound
from ..domain.events import Event
from ..domain.packs import Pack
from ..observability import logger
from . import pipeline, stack_packs

if TYPE_CHECKING:
    from ..adapters import Adapters
    from ..adapters.schedule_store import ScheduleStore

FIRING_FUNCTION = "schedule-fire-function"


def every(store: ScheduleStore) -> list[schedules.Schedule]:
    """Every schedule of the stack, the built-in Ticker included (off until it is enabled)."""
    stored = store.all()
    if not any(s.name == schedules.TICKER for s in stored):
        stored.append(schedules.ticker(False))
    return sorted(stored, key=lambda s: s.name)


def get(store: ScheduleStore, name: str) -> schedules.Schedule:
    schedule = store.get(schedules.check_name(name))
    if schedule is None and name == schedules.TICKER:
        return schedules.ticker(False)
    if schedule is None:
        raise NotFound(f"No schedule {name!r}.")
    return schedule


def put(store: ScheduleStore, name: str, body: Any, create_only: bool = False) -> tuple[schedules.Schedule, bool]:
    """Create or replace a schedule from its JSON; (the schedule, whether it is new)."""
    if isinstance(body, dict) and body.get("name") not in (None, name):
        raise InvalidInput(f"'name' {body.get('name')!r} differs from the name in the URL ({name!r}).", field="name")
    schedule = schedules.parse_schedule(name, body, times.now())
    created = store.put(schedule, create_only)
    logger.info("schedule saved", extra={"schedule": name, "isNew": created, "enabled": schedule.enabled})
    return schedule, created


def delete(store: ScheduleStore, name: str) -> None:
    store.delete(schedules.check_name(name))
    logger.info("schedule deleted", extra={"schedule": name})


def preview(body: Any) -> tuple[schedules.Schedule, int]:
    """What an expression would do, before saving it: {expression, timezone?, count?}."""
    if not isinstance(body, dict):
        raise InvalidInput('A preview takes {"expression", "timezone", "count"}.')
    count = schedules.check_preview_count(body.get("count"))
    spec = {key: value for key, value in body.items() if key not in ("count", "name")}
    return schedules.parse_schedule(str(body.get("name") or "preview"), {**spec, "enabled": True}, times.now()), count


def fire(adapters: Adapters, invocation: Any, now: datetime | None = None) -> Event | None:
    """Store the event of one firing (the target input of the schedule, its scheduled time filled
    in). None when the firing is too late under the schedule's missed-time policy."""
    from ..adapters.schedule_store import from_input

    if not isinstance(invocation, dict) or invocation.get("flyte") != "schedule":
        raise ValueError("not a Flyte schedule's invocation (no 'flyte': 'schedule' in its input)")
    schedule = from_input(invocation, enabled=True)
    scheduled = times.parse_time(str(invocation.get("scheduledTime")))
    now = now or times.now()
    if schedules.is_missed(schedule, scheduled, now):
        logger.warning(
            "missed schedule time skipped",
            extra={
                "schedule": schedule.name,
                "scheduledTime": times.format_time(scheduled),
                "lateSeconds": (now - scheduled).total_seconds(),
            },
        )
        return None
    names = schedules.fired_event_names(schedule)
    pack = Pack(id=names["packName"], name=names["packName"])
    payload = schedules.fired_payload(schedule, scheduled)
    key = schedules.idempotency_key(schedule.name, scheduled)
    try:
        event = pipeline.receive_event(
            adapters, pack, names["name"], payload, scheduled, caller=stack_packs.caller(FIRING_FUNCTION), idempotency_key=key
        )
    except KeyReused:  # the schedule's payload changed between two invocations for the same time: fired already
        logger.info(
            "schedule time fired already", extra={"schedule": schedule.name, "scheduledTime": times.format_time(scheduled)}
        )
        return None
    logger.info(
        "schedule fired", extra={"schedule": schedule.name, "scheduledTime": times.format_time(scheduled), "eventId": event.id}
    )
    return event
