"""Cron matching in the dialect of gronx v0.2.4, the library behind the original ``matchesCron``.

No maintained Python library reproduces it exactly (croniter/cronsim use Vixie semantics: day-of-month
OR day-of-week, no year field, different ``L``/``W``/``#`` rules), so this is a small pure matcher.

Dialect: 5 fields ``minute hour day-of-month month day-of-week`` plus an optional 6th ``year``;
``*``, ``?``, lists, ranges, ``/`` steps (``*/n`` and ``0/n`` mean "value divisible by n"), names
``JAN``-``DEC`` and ``SUN``-``SAT`` (anywhere, case-insensitive), ``7`` = Sunday in day-of-week,
``L`` and ``nW`` in day-of-month, ``nL`` and ``n#k`` in day-of-week, and the macros below.
Every field must match: day-of-month and day-of-week are ANDed, as in gronx.

One deliberate difference: gronx checked validity by evaluating against the current time and
stopped at the first field that did not match, so some malformed fields passed or failed
depending on the clock. Here an expression is validated completely, the same way every time.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from functools import lru_cache

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@hourly": "0 * * * *",
    "@always": "* * * * *",
    "@5minutes": "*/5 * * * *",
    "@10minutes": "*/10 * * * *",
    "@15minutes": "*/15 * * * *",
    "@30minutes": "0,30 * * * *",
}

_NAMES = {
    "SUN": "0",
    "MON": "1",
    "TUE": "2",
    "WED": "3",
    "THU": "4",
    "FRI": "5",
    "SAT": "6",
    "JAN": "1",
    "FEB": "2",
    "MAR": "3",
    "APR": "4",
    "MAY": "5",
    "JUN": "6",
    "JUL": "7",
    "AUG": "8",
    "SEP": "9",
    "OCT": "10",
    "NOV": "11",
    "DEC": "12",
}
_NAMES_RE = re.compile("|".join(_NAMES))

_STEP = re.compile(r"(\*|\d+|\d+-\d+)/(\d+)\Z")
_RANGE = re.compile(r"(\d+)-(\d+)\Z")
_NUMBER = re.compile(r"\d+\Z")
_MONTH_DAY_W = re.compile(r"(\d+)W\Z")
_WEEK_DAY_L = re.compile(r"(\d+)L\Z")
_WEEK_DAY_NTH = re.compile(r"(\d+)#(\d+)\Z")

MINUTE, HOUR, MONTH_DAY, MONTH, WEEK_DAY, YEAR = range(6)


class CronError(ValueError):
    pass


def _normalize(expr: str) -> list[str]:
    expr = expr.strip()
    expr = MACROS.get(expr.lower(), expr)
    expr = _NAMES_RE.sub(lambda m: _NAMES[m.group(0)], expr.upper())
    return expr.split()


def _check_item(item: str, pos: int) -> None:
    if item in ("*", "?"):
        return
    if "/" in item:
        m = _STEP.match(item)
        if m is None:
            raise CronError(f"invalid step {item!r}")
        if int(m.group(2)) == 0:
            raise CronError("step can't be 0")
        return
    if pos == MONTH_DAY and (item == "L" or _MONTH_DAY_W.match(item)):
        return
    if pos == WEEK_DAY and (_WEEK_DAY_L.match(item) or _WEEK_DAY_NTH.match(item)):
        return
    if "-" in item:
        if _RANGE.match(item) is None:
            raise CronError(f"invalid range {item!r}")
        return
    if _NUMBER.match(item) is None:
        raise CronError(f"invalid value {item!r}")


@lru_cache(maxsize=256)
def parse(expr: str) -> tuple[str, ...]:
    """The normalized fields of a valid expression; raises CronError otherwise."""
    fields = _normalize(expr)
    if not 5 <= len(fields) <= 6:
        raise CronError("expr should contain 5 to 6 segments separated by space")
    for pos, field in enumerate(fields):
        for item in field.split(","):
            _check_item(item, pos)
    return tuple(fields)


def is_valid(expr: str) -> bool:
    try:
        parse(expr)
    except CronError:
        return False
    return True


def _value(ref: datetime, pos: int) -> int:
    if pos == MINUTE:
        return ref.minute
    if pos == HOUR:
        return ref.hour
    if pos == MONTH_DAY:
        return ref.day
    if pos == MONTH:
        return ref.month
    if pos == WEEK_DAY:
        return (ref.weekday() + 1) % 7  # Go: Sunday = 0
    return ref.year


def _in_step(val: int, item: str) -> bool:
    head, step_text = item.split("/")
    step = int(step_text)
    if head == "*" or head == "0":
        return val % step == 0
    if "-" in head:
        start, end = (int(x) for x in head.split("-"))
    else:
        start, end = int(head), val
    return start <= val <= end and (val - start) % step == 0


def _offset_due(item: str, val: int, pos: int) -> bool | None:
    """Plain items (number, range, step); None when the item is an L/W/# form."""
    if item in ("*", "?"):
        return True
    if "/" in item:
        return _in_step(val, item)
    if pos == WEEK_DAY and (_WEEK_DAY_L.match(item) or _WEEK_DAY_NTH.match(item)):
        return None
    if pos == MONTH_DAY and (item == "L" or _MONTH_DAY_W.match(item)):
        return None
    if "-" in item:
        start, end = (int(x) for x in item.split("-"))
        if pos == WEEK_DAY and start == 7:
            start = 0
        return start <= val <= end
    number = int(item)
    if pos == WEEK_DAY and number == 7:
        number = 0
    return number == val


def _month_day_due(item: str, ref: datetime, last: int) -> bool:
    if item == "L":
        return ref.day == last
    wanted = int(item[:-1])
    for delta in (0, -1, 1, -2, 2):  # nearest weekday, as gronx searches it
        day = wanted + delta
        if 0 < day <= last:
            weekday = (date(ref.year, ref.month, day).weekday() + 1) % 7
            if 0 < weekday < 6:
                return ref.day == day
    return False


def _week_day_due(item: str, ref: datetime, last: int) -> bool:
    m = _WEEK_DAY_L.match(item)
    if m is not None:  # last <weekday> of the month
        wanted = int(m.group(1)) % 7
        for i in range(7):
            day = last - i
            if (date(ref.year, ref.month, day).weekday() + 1) % 7 == wanted:
                return ref.day == day
        return False
    m = _WEEK_DAY_NTH.match(item)
    assert m is not None
    wanted, nth = int(m.group(1)), int(m.group(2))
    if wanted == 7:
        wanted = 0
    if wanted > 7 or not 1 <= nth <= 5 or (ref.weekday() + 1) % 7 != wanted:
        return False
    return (ref.day - 1) // 7 == nth - 1


def _field_due(field: str, ref: datetime, pos: int) -> bool:
    val = _value(ref, pos)
    for item in field.split(","):
        due = _offset_due(item, val, pos)
        if due is None:
            last = calendar.monthrange(ref.year, ref.month)[1]
            due = _month_day_due(item, ref, last) if pos == MONTH_DAY else _week_day_due(item, ref, last)
        if due:
            return True
    return False


def is_due(expr: str, ref: datetime) -> bool:
    """True when every field matches ``ref``'s wall clock (seconds ignored)."""
    for pos, field in enumerate(parse(expr)):
        if field in ("*", "?"):
            continue
        if not _field_due(field, ref, pos):
            return False
    return True
