"""Schedules (issue 22): named `cron(...)`, `rate(...)` and `at(...)` expressions in a time zone, the
times they fire, and the event each firing becomes.

Expressions mean what EventBridge Scheduler makes of them, because that is what fires them in AWS:
the six fields `minutes hours day-of-month month day-of-week year` with `?`, `L`, `W` and `#`
(day-of-week 1-7 = SUN-SAT), evaluated in the schedule's time zone. A local time that a spring DST
change skips does not fire; one that the autumn change repeats fires once (the first). The
five-field form people know from Unix cron (`minute hour day month weekday`, weekday 0-7 with 0 and 7
Sunday) is accepted and turned into the six-field form. `rate(N minutes|hours|days)` counts fixed
durations from the schedule's start (a day is 24 hours, whatever DST does); `at(yyyy-mm-ddThh:mm:ss)`
fires once, at that local time. No cron library: croniter and the like number weekdays from 0, have no
year field, no `?`, and their DST rules are not EventBridge's; a preview must say what AWS will do.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from . import bounds, times
from .errors import InvalidInput

PACK_NAME = "Schedule"  # the built-in pack whose events schedules fire (event name: the schedule's name)
TICKER = "Ticker"  # the built-in schedule emitting flyte-ticker's Tick every minute (pack Ticker, event Tick)
TICKER_EXPRESSION = "cron(* * * * ? *)"
TICK_EVENT = "Tick"
MISSED_POLICIES = ("fire", "skip")
# "skip": a firing later than this after its scheduled time is dropped (EventBridge Scheduler's
# retries stop at the same age). "fire": retried and fired late for up to a day.
SKIP_AFTER = timedelta(minutes=5)
FIRE_LATE_FOR = timedelta(hours=24)
MAX_PREVIEW = 50
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # EventBridge Scheduler names: 1-64 of [0-9a-zA-Z-_.]
_LAST_YEAR = 2199  # EventBridge's year field ends there

_DAY_NAMES = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
_MONTH_NAMES = {
    m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
}
_RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


# --- expressions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DaySpec:
    """Day-of-month or day-of-week: a set of values, or one of the special forms."""

    any: bool = False  # `?` or `*`
    values: frozenset[int] = frozenset()
    last: bool = False  # dom `L`: the month's last day; dow `nL`: the month's last weekday n (values={n})
    nearest_weekday: int | None = None  # dom `nW`
    nth: tuple[int, int] | None = None  # dow `n#k`: the k-th weekday n of the month


@dataclass(frozen=True)
class Cron:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: DaySpec
    months: frozenset[int]
    day_of_week: DaySpec
    years: frozenset[int]
    aws: str  # the six-field form EventBridge Scheduler is given

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months or day.year not in self.years:
            return False
        return _dom_matches(self.day_of_month, day) and _dow_matches(self.day_of_week, day)


@dataclass(frozen=True)
class Expression:
    """A parsed schedule expression: `text` as the user wrote it, `aws` as EventBridge Scheduler takes it."""

    text: str
    aws: str
    cron: Cron | None = None
    rate: timedelta | None = None
    at: datetime | None = None  # naive local time of a one-time schedule


def parse_expression(text: Any, field_name: str = "expression") -> Expression:
    """`cron(...)` with five or six fields, `rate(N unit)` or `at(yyyy-mm-ddThh:mm:ss)`; InvalidInput naming the field."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(
            f"'{field_name}' must be a schedule expression: cron(...), rate(N minutes|hours|days) or at(yyyy-mm-ddThh:mm:ss).",
            field=field_name,
        )
    text = " ".join(text.split())
    match = re.fullmatch(r"(cron|rate|at)\s?\((.*)\)", text)
    if not match:
        raise InvalidInput(
            f"'{field_name}' {text[:100]!r} is not cron(...), rate(N minutes|hours|days) or at(yyyy-mm-ddThh:mm:ss).",
            field=field_name,
        )
    kind, inner = match.group(1), match.group(2).strip()
    if kind == "rate":
        return _parse_rate(text, inner, field_name)
    if kind == "at":
        try:
            at = datetime.strptime(inner, "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            raise InvalidInput(
                f"'{field_name}': at(...) takes a local time yyyy-mm-ddThh:mm:ss (no offset: the time zone is "
                f"'timezone'), got {inner[:40]!r}.",
                field=field_name,
            ) from None
        return Expression(text=text, aws=f"at({inner})", at=at)
    cron = parse_cron(inner, field_name)
    return Expression(text=text, aws=f"cron({cron.aws})", cron=cron)


def _parse_rate(text: str, inner: str, field_name: str) -> Expression:
    match = re.fullmatch(r"(\d{1,6}) (\w+)", inner)
    if not match or match.group(2) not in _RATE_UNITS or int(match.group(1)) < 1:
        raise InvalidInput(
            f"'{field_name}': rate(...) takes a positive whole number and minutes, hours or days, e.g. rate(5 minutes); "
            f"got rate({inner[:40]}).",
            field=field_name,
        )
    value, unit = int(match.group(1)), match.group(2)
    singular = unit.rstrip("s")
    if (value == 1) != (unit == singular):  # EventBridge insists: rate(1 minute), rate(5 minutes)
        unit = singular if value == 1 else singular + "s"
    return Expression(text=text, aws=f"rate({value} {unit})", rate=timedelta(seconds=value * _RATE_UNITS[unit]))


def parse_cron(inner: str, field_name: str = "expression") -> Cron:
    parts = inner.split()
    if len(parts) == 5:
        parts = _from_unix(parts, field_name)
    elif len(parts) != 6:
        raise InvalidInput(
            f"'{field_name}': cron(...) has 6 fields (minutes hours day-of-month month day-of-week year, as EventBridge) "
            f"or the 5 of Unix cron (minute hour day month weekday); got {len(parts)}.",
            field=field_name,
        )
    minute, hour, dom, month, dow, year = parts

    def fail(which: str, value: str, why: str) -> InvalidInput:
        return InvalidInput(f"'{field_name}': the {which} field {value!r} {why}.", field=field_name)

    minutes = _values(minute, 0, 59, {}, lambda why: fail("minutes", minute, why))
    hours = _values(hour, 0, 23, {}, lambda why: fail("hours", hour, why))
    months = _values(month, 1, 12, _MONTH_NAMES, lambda why: fail("month", month, why))
    years = _values(year, 1970, _LAST_YEAR, {}, lambda why: fail("year", year, why))
    day_of_month = _dom(dom, lambda why: fail("day-of-month", dom, why))
    day_of_week = _dow(dow, lambda why: fail("day-of-week", dow, why))
    if (dom == "?") == (dow == "?"):
        raise InvalidInput(
            f"'{field_name}': one of day-of-month and day-of-week must be '?' (EventBridge cannot say 'this day of the "
            f"month or this weekday'), got {dom!r} and {dow!r}.",
            field=field_name,
        )
    return Cron(
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        day_of_month=day_of_month,
        months=frozenset(months),
        day_of_week=day_of_week,
        years=frozenset(years),
        aws=" ".join(parts),
    )


def _from_unix(parts: list[str], field_name: str) -> list[str]:
    """Unix cron's five fields as EventBridge's six: weekday 0-7 (0 and 7 Sunday) becomes 1-7, the
    unrestricted one of day and weekday becomes `?`, and every year."""
    minute, hour, dom, month, dow = parts
    if dow not in ("*", "?"):

        def shift(match: re.Match[str]) -> str:
            number = int(match.group(0))
            if number > 7:
                raise InvalidInput(f"'{field_name}': a Unix cron weekday is 0-7, got {number}.", field=field_name)
            return str(number % 7 + 1)

        dow = re.sub(r"(?<![#/])\d+", shift, dow)
    if dom in ("*", "?") and dow in ("*", "?"):
        dom, dow = "*", "?"
    elif dow in ("*", "?"):
        dow = "?"
    elif dom in ("*", "?"):
        dom = "?"
    else:
        raise InvalidInput(
            f"'{field_name}': Unix cron with both a day of the month ({dom}) and a weekday ({dow}) fires on either; "
            "EventBridge cannot, so make two schedules.",
            field=field_name,
        )
    return [minute, hour, dom, month, dow, "*"]


def _values(text: str, low: int, high: int, names: dict[str, int], fail: Any) -> set[int]:
    if text in ("*", "?"):
        return set(range(low, high + 1))
    result: set[int] = set()
    for part in text.split(","):
        base, slash, step_text = part.partition("/")
        if slash and not step_text.isdigit():
            raise fail("has a step that is not a number")
        step = int(step_text) if slash else 1
        if step < 1:
            raise fail("has a step of 0")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(first, names, fail), _number(last, names, fail)
        else:
            start = _number(base, names, fail)
            end = high if slash else start
        if not (low <= start <= high and low <= end <= high):
            raise fail(f"is outside {low}-{high}")
        if end < start:
            raise fail("has a range that ends before it starts")
        result.update(range(start, end + 1, step))
    return result


def _number(text: str, names: dict[str, int], fail: Any) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise fail(f"has {text!r}, which is not a number" + (" or a name" if names else ""))
    return int(text)


def _dom(text: str, fail: Any) -> DaySpec:
    if text in ("*", "?"):
        return DaySpec(any=True)
    if text == "L":
        return DaySpec(last=True)
    match = re.fullmatch(r"(\d{1,2})W", text)
    if match:
        if not 1 <= int(match.group(1)) <= 31:
            raise fail("is outside 1-31")
        return DaySpec(nearest_weekday=int(match.group(1)))
    return DaySpec(values=frozenset(_values(text, 1, 31, {}, fail)))


def _dow(text: str, fail: Any) -> DaySpec:
    if text in ("*", "?"):
        return DaySpec(any=True)
    match = re.fullmatch(r"(\w{1,3})#([1-5])", text)
    if match:
        weekday = _number(match.group(1), _DAY_NAMES, fail)
        if not 1 <= weekday <= 7:
            raise fail("is outside 1-7")
        return DaySpec(nth=(weekday, int(match.group(2))))
    match = re.fullmatch(r"(\w{1,3})?L", text)
    if match:
        weekday = _number(match.group(1), _DAY_NAMES, fail) if match.group(1) else 7  # `L` alone: Saturday
        if not 1 <= weekday <= 7:
            raise fail("is outside 1-7")
        return DaySpec(values=frozenset({weekday}), last=True)
    return DaySpec(values=frozenset(_values(text, 1, 7, _DAY_NAMES, fail)))


def _weekday(day: date) -> int:
    return day.isoweekday() % 7 + 1  # SUN=1 .. SAT=7


def _month_length(day: date) -> int:
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _dom_matches(spec: DaySpec, day: date) -> bool:
    if spec.any:
        return True
    if spec.last:
        return day.day == _month_length(day)
    if spec.nearest_weekday is not None:  # the weekday nearest to that day, within the month
        target = min(spec.nearest_weekday, _month_length(day))
        wanted = day.replace(day=target)
        if wanted.isoweekday() == 6:
            wanted = wanted - timedelta(days=1) if target > 1 else wanted + timedelta(days=2)
        elif wanted.isoweekday() == 7:
            wanted = wanted + timedelta(days=1) if target < _month_length(day) else wanted - timedelta(days=2)
        return day == wanted
    return day.day in spec.values


def _dow_matches(spec: DaySpec, day: date) -> bool:
    if spec.any:
        return True
    if spec.nth is not None:
        return _weekday(day) == spec.nth[0] and (day.day - 1) // 7 + 1 == spec.nth[1]
    if spec.last:
        return _weekday(day) in spec.values and day.day + 7 > _month_length(day)
    return _weekday(day) in spec.values


# --- fire times ---------------------------------------------------------------------------------------


@functools.cache
def known_zones() -> frozenset[str]:
    """The IANA names this runtime knows: read once, as the list walks the whole time zone database."""
    return frozenset(available_timezones()) | {"UTC"}


def zone(name: Any, field_name: str = "timezone") -> ZoneInfo:
    """An IANA time zone (`Europe/London`, `UTC`); InvalidInput naming the field otherwise."""
    if not isinstance(name, str) or not name or name not in known_zones():
        raise InvalidInput(
            f"'{field_name}' must be an IANA time zone such as Europe/London or UTC, got {str(name)[:60]!r}.", field=field_name
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"'{field_name}' {name!r} is not a known time zone.", field=field_name) from None


def local_to_utc(naive: datetime, tz: ZoneInfo) -> datetime | None:
    """The instant a local wall time means: None when DST skips it, the first when DST repeats it."""
    aware = naive.replace(tzinfo=tz, fold=0)
    instant = aware.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != naive:
        return None  # in the gap of a spring change
    return instant


def fire_times(
    expression: Expression, tz: ZoneInfo, after: datetime, count: int, start: datetime | None = None
) -> list[datetime]:
    """The next `count` fire times (UTC) strictly after `after`. `start`: when a rate schedule began."""
    return [when for when, _ in zip(_fire_times(expression, tz, after, start), range(count), strict=False)]


def _fire_times(expression: Expression, tz: ZoneInfo, after: datetime, start: datetime | None) -> Iterator[datetime]:
    if expression.at is not None:
        instant = local_to_utc(expression.at, tz)
        if instant is not None and instant > after:
            yield instant
        return
    if expression.rate is not None:
        anchor = (start or after).astimezone(UTC).replace(microsecond=0)
        steps = max(0, int((after - anchor) // expression.rate) + 1) if after >= anchor else 0
        while True:
            yield anchor + steps * expression.rate
            steps += 1
    assert expression.cron is not None
    yield from _cron_times(expression.cron, tz, after)


def _cron_times(cron: Cron, tz: ZoneInfo, after: datetime) -> Iterator[datetime]:
    day = after.astimezone(tz).date()
    while day.year <= _LAST_YEAR:
        if day.year not in cron.years:
            day = date(day.year + 1, 1, 1)
            continue
        if day.month not in cron.months:
            day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
            continue
        if cron.day_matches(day):
            for hour in cron.hours:
                for minute in cron.minutes:
                    instant = local_to_utc(datetime(day.year, day.month, day.day, hour, minute), tz)
                    if instant is not None and instant > after:
                        yield instant
        day += timedelta(days=1)


# --- schedules ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    name: str
    expression: Expression
    timezone: str = "UTC"
    payload: Any = None
    enabled: bool = True
    missed: str = "fire"
    description: str = ""
    start: datetime | None = None  # when a rate schedule counts from
    created_at: datetime | None = None
    updated_at: datetime | None = None
    builtin: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)

    def next_times(self, after: datetime, count: int) -> list[datetime]:
        return fire_times(self.expression, self.zone, after, count, self.start)


def check_name(name: Any, field_name: str = "name") -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput(
            f"'{field_name}' must be 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit "
            f"(EventBridge Scheduler's names), got {str(name)[:80]!r}.",
            field=field_name,
        )
    return name


def parse_schedule(name: str, body: Any, now: datetime) -> Schedule:
    """A PUT /v1/schedules/{name} (or POST with `name`) body: {expression, timezone?, payload?,
    enabled?, missed?, description?}. The built-in Ticker takes only `enabled`."""
    if not isinstance(body, dict):
        raise InvalidInput('A schedule must be a JSON object {"expression", "timezone", "payload", "enabled", "missed"}.')
    check_name(name)
    unknown = sorted(
        set(body)
        - {
            "name",
            "expression",
            "timezone",
            "payload",
            "enabled",
            "missed",
            "description",
            "links",
            "nextFireTimes",
            "builtin",
            "createdAt",
            "updatedAt",
            "start",
        }
    )
    if unknown:
        raise InvalidInput(
            f"Unknown field {unknown[0]!r}; a schedule has expression, timezone, payload, enabled, missed, description.",
            field=unknown[0],
        )
    enabled = body.get("enabled", name != TICKER)
    if not isinstance(enabled, bool):
        raise InvalidInput("'enabled' must be true or false.", field="enabled")
    if name == TICKER:
        return ticker(enabled, now, body)
    expression = parse_expression(body.get("expression"))
    timezone = body.get("timezone", "UTC")
    zone(timezone)
    missed = body.get("missed", "fire")
    if missed not in MISSED_POLICIES:
        raise InvalidInput(
            f"'missed' must be 'fire' (a late firing still fires, for up to a day) or 'skip' (a firing more than "
            f"{int(SKIP_AFTER.total_seconds() // 60)} minutes late is dropped), got {str(missed)[:40]!r}.",
            field="missed",
        )
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > 512:
        raise InvalidInput("'description' must be a string of at most 512 characters.", field="description")
    payload = body.get("payload")
    bounds.check_size(payload, bounds.MAX_PAYLOAD_BYTES // 4, what="payload", field="payload")
    schedule = Schedule(
        name=name,
        expression=expression,
        timezone=timezone,
        payload=payload,
        enabled=enabled,
        missed=missed,
        description=description,
        start=now.replace(microsecond=0) if expression.rate else None,
    )
    if expression.at is not None and not schedule.next_times(now, 1) and enabled:
        raise InvalidInput(
            f"'expression' {expression.text} is in the past (in {timezone}); it would never fire.", field="expression"
        )
    if not schedule.next_times(now, 1) and expression.cron is not None:
        raise InvalidInput(f"'expression' {expression.text} never fires again.", field="expression")
    return schedule


def ticker(enabled: bool, now: datetime | None = None, body: dict[str, Any] | None = None) -> Schedule:
    """The built-in Ticker: flyte-ticker's Tick every minute, off until enabled."""
    body = body or {}
    for key, fixed in (("expression", TICKER_EXPRESSION), ("timezone", "UTC")):
        if body.get(key) not in (None, fixed):
            raise InvalidInput(f"The built-in {TICKER} schedule always runs {fixed}; send only 'enabled'.", field=key)
    if body.get("payload") is not None:
        raise InvalidInput(f"The built-in {TICKER} schedule's Tick carries only the time; send only 'enabled'.", field="payload")
    return Schedule(
        name=TICKER,
        expression=parse_expression(TICKER_EXPRESSION),
        enabled=enabled,
        missed="skip",  # a tick is about now: a late one is not worth sending
        description="flyte-ticker's Tick event every minute (pack Ticker), for flows written for flyte-ticker.",
        builtin=True,
    )


def check_preview_count(raw: Any) -> int:
    if raw is None:
        return 5
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= MAX_PREVIEW:
        raise InvalidInput(f"'count' must be a whole number from 1 to {MAX_PREVIEW}.", field="count")
    return raw


def representation(schedule: Schedule, base: str, now: datetime, count: int = 5) -> dict[str, Any]:
    """A schedule as GET /v1/schedules/{name} shows it, with its next fire times (UTC and local)."""
    tz = schedule.zone
    upcoming = schedule.next_times(now, count) if schedule.enabled else []
    result: dict[str, Any] = {
        "name": schedule.name,
        "expression": schedule.expression.text,
        "timezone": schedule.timezone,
        "enabled": schedule.enabled,
        "missed": schedule.missed,
        "payload": schedule.payload,
        "description": schedule.description,
        "builtin": schedule.builtin,
        "event": fired_event_names(schedule),
        "nextFireTimes": [{"utc": times.format_time(at), "local": at.astimezone(tz).isoformat()} for at in upcoming],
        "links": [{"href": schedule_url(base, schedule.name), "rel": "self"}],
    }
    if schedule.start is not None:
        result["start"] = times.format_time(schedule.start)
    for key, value in (("createdAt", schedule.created_at), ("updatedAt", schedule.updated_at)):
        if value is not None:
            result[key] = times.format_time(value)
    return result


def schedule_url(base: str, name: str) -> str:
    return f"{base}v1/schedules/{name}"


def fired_event_names(schedule: Schedule) -> dict[str, str]:
    """The pack and event name a schedule's firings carry (what a flow's step matches)."""
    if schedule.builtin and schedule.name == TICKER:
        return {"packName": TICKER, "name": TICK_EVENT}
    return {"packName": PACK_NAME, "name": schedule.name}


def fired_payload(schedule: Schedule, scheduled: datetime) -> Any:
    """The event's payload: for the Ticker flyte-ticker's `{"time": ...}` (RFC 3339 UTC, as Go's
    time.Time marshals it); otherwise the schedule's name, the scheduled time and its payload."""
    if schedule.builtin and schedule.name == TICKER:
        return {"time": times.format_time(scheduled)}
    return {"schedule": schedule.name, "scheduledTime": times.format_time(scheduled), "payload": schedule.payload}


def is_missed(schedule: Schedule, scheduled: datetime, now: datetime) -> bool:
    """Whether a firing this late is dropped under the schedule's missed-time policy."""
    limit = SKIP_AFTER if schedule.missed == "skip" else FIRE_LATE_FOR
    return now - scheduled > limit


def idempotency_key(schedule_name: str, scheduled: datetime) -> str:
    """One event per schedule and scheduled time, however often the scheduler invokes for it."""
    return f"schedule:{schedule_name}@{times.format_time(scheduled)}"
