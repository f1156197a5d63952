"""Go time formatting: layout strings (``2006-01-02 15:04:05``), ``Time.String()``, RFC 3339 parsing.

Pure Python port of the chunk recognition of Go's ``time/format.go``; Python datetimes carry
microseconds, so fractional digits beyond the sixth are zeros.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_LONG_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_LONG_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# chunk kinds
(
    LONG_MONTH,
    MONTH,
    NUM_MONTH,
    ZERO_MONTH,
    LONG_WEEKDAY,
    WEEKDAY,
    DAY,
    UNDER_DAY,
    ZERO_DAY,
    UNDER_YEARDAY,
    ZERO_YEARDAY,
    HOUR,
    HOUR12,
    ZERO_HOUR12,
    MINUTE,
    ZERO_MINUTE,
    SECOND,
    ZERO_SECOND,
    LONG_YEAR,
    YEAR,
    PM_UPPER,
    PM_LOWER,
    TZ,
    ISO_TZ,
    ISO_SECONDS_TZ,
    ISO_SHORT_TZ,
    ISO_COLON_TZ,
    ISO_COLON_SECONDS_TZ,
    NUM_TZ,
    NUM_SECONDS_TZ,
    NUM_SHORT_TZ,
    NUM_COLON_TZ,
    NUM_COLON_SECONDS_TZ,
    FRAC0,
    FRAC9,
) = range(35)

_ZERO_X = {"1": ZERO_MONTH, "2": ZERO_DAY, "3": ZERO_HOUR12, "4": ZERO_MINUTE, "5": ZERO_SECOND, "6": YEAR}
_TZ_PREFIXED = (
    ("-07:00:00", NUM_COLON_SECONDS_TZ),
    ("-070000", NUM_SECONDS_TZ),
    ("-07:00", NUM_COLON_TZ),
    ("-0700", NUM_TZ),
    ("-07", NUM_SHORT_TZ),
    ("Z07:00:00", ISO_COLON_SECONDS_TZ),
    ("Z070000", ISO_SECONDS_TZ),
    ("Z07:00", ISO_COLON_TZ),
    ("Z0700", ISO_TZ),
    ("Z07", ISO_SHORT_TZ),
)


def _starts_lower(s: str) -> bool:
    return bool(s) and "a" <= s[0] <= "z"


def _next_chunk(layout: str, i: int) -> tuple[int, int, int] | None:
    """(kind, length, digits) of the layout element starting at ``i``, or None for a literal."""
    c = layout[i]
    rest = layout[i:]
    if c == "J" and rest.startswith("Jan"):
        if rest.startswith("January"):
            return LONG_MONTH, 7, 0
        if not _starts_lower(rest[3:]):
            return MONTH, 3, 0
    elif c == "M":
        if rest.startswith("Mon"):
            if rest.startswith("Monday"):
                return LONG_WEEKDAY, 6, 0
            if not _starts_lower(rest[3:]):
                return WEEKDAY, 3, 0
        if rest.startswith("MST"):
            return TZ, 3, 0
    elif c == "0":
        if len(rest) >= 2 and "1" <= rest[1] <= "6":
            return _ZERO_X[rest[1]], 2, 0
        if rest.startswith("002"):
            return ZERO_YEARDAY, 3, 0
    elif c == "1":
        if rest.startswith("15"):
            return HOUR, 2, 0
        return NUM_MONTH, 1, 0
    elif c == "2":
        if rest.startswith("2006"):
            return LONG_YEAR, 4, 0
        return DAY, 1, 0
    elif c == "_":
        if rest.startswith("_2"):
            if rest.startswith("_2006"):
                return None  # a literal "_" followed by a long year
            return UNDER_DAY, 2, 0
        if rest.startswith("__2"):
            return UNDER_YEARDAY, 3, 0
    elif c == "3":
        return HOUR12, 1, 0
    elif c == "4":
        return MINUTE, 1, 0
    elif c == "5":
        return SECOND, 1, 0
    elif c == "P" and rest.startswith("PM"):
        return PM_UPPER, 2, 0
    elif c == "p" and rest.startswith("pm"):
        return PM_LOWER, 2, 0
    elif c in "-Z":
        for text, kind in _TZ_PREFIXED:
            if rest.startswith(text):
                return kind, len(text), 0
    elif c in ".," and len(rest) >= 2 and rest[1] in "09":
        ch = rest[1]
        j = 1
        while j < len(rest) and rest[j] == ch:
            j += 1
        if not (j < len(rest) and rest[j].isdigit()):
            return (FRAC0 if ch == "0" else FRAC9), j, j - 1
    return None


def _zone(dt: datetime) -> tuple[int, str]:
    """(offset in seconds, abbreviation or '' when Go would not know a name)."""
    offset = dt.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    if dt.tzinfo is None or dt.tzinfo is UTC:
        return seconds, "UTC"
    name = dt.tzname() or ""
    if name.startswith("UTC") and name != "UTC":  # datetime.timezone(timedelta(...)) names
        name = ""
    return seconds, name


def _tz(kind: int, seconds: int) -> str:
    if kind in (ISO_TZ, ISO_SECONDS_TZ, ISO_SHORT_TZ, ISO_COLON_TZ, ISO_COLON_SECONDS_TZ) and seconds == 0:
        return "Z"
    sign = "-" if seconds < 0 else "+"
    total = abs(seconds)
    hh, mm, ss = total // 3600, total // 60 % 60, total % 60
    if kind in (ISO_SHORT_TZ, NUM_SHORT_TZ):
        return f"{sign}{hh:02d}"
    colon = kind in (ISO_COLON_TZ, ISO_COLON_SECONDS_TZ, NUM_COLON_TZ, NUM_COLON_SECONDS_TZ)
    out = f"{sign}{hh:02d}{':' if colon else ''}{mm:02d}"
    if kind in (ISO_SECONDS_TZ, ISO_COLON_SECONDS_TZ, NUM_SECONDS_TZ, NUM_COLON_SECONDS_TZ):
        out += f"{':' if colon else ''}{ss:02d}"
    return out


def format_go(dt: datetime, layout: str) -> str:
    """``time.Time.Format(layout)``."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    out: list[str] = []
    i = 0
    n = len(layout)
    while i < n:
        chunk = _next_chunk(layout, i)
        if chunk is None:
            out.append(layout[i])
            i += 1
            continue
        kind, size, digits = chunk
        i += size
        if kind == LONG_YEAR:
            out.append(f"{dt.year:04d}")
        elif kind == YEAR:
            out.append(f"{dt.year % 100:02d}")
        elif kind == LONG_MONTH:
            out.append(_LONG_MONTHS[dt.month - 1])
        elif kind == MONTH:
            out.append(_LONG_MONTHS[dt.month - 1][:3])
        elif kind == NUM_MONTH:
            out.append(str(dt.month))
        elif kind == ZERO_MONTH:
            out.append(f"{dt.month:02d}")
        elif kind == LONG_WEEKDAY:
            out.append(_LONG_DAYS[dt.weekday()])
        elif kind == WEEKDAY:
            out.append(_LONG_DAYS[dt.weekday()][:3])
        elif kind == DAY:
            out.append(str(dt.day))
        elif kind == UNDER_DAY:
            out.append(f"{dt.day:2d}")
        elif kind == ZERO_DAY:
            out.append(f"{dt.day:02d}")
        elif kind == UNDER_YEARDAY:
            out.append(f"{dt.timetuple().tm_yday:3d}")
        elif kind == ZERO_YEARDAY:
            out.append(f"{dt.timetuple().tm_yday:03d}")
        elif kind == HOUR:
            out.append(f"{dt.hour:02d}")
        elif kind in (HOUR12, ZERO_HOUR12):
            hour = dt.hour % 12 or 12
            out.append(str(hour) if kind == HOUR12 else f"{hour:02d}")
        elif kind == MINUTE:
            out.append(str(dt.minute))
        elif kind == ZERO_MINUTE:
            out.append(f"{dt.minute:02d}")
        elif kind == SECOND:
            out.append(str(dt.second))
        elif kind == ZERO_SECOND:
            out.append(f"{dt.second:02d}")
        elif kind == PM_UPPER:
            out.append("PM" if dt.hour >= 12 else "AM")
        elif kind == PM_LOWER:
            out.append("pm" if dt.hour >= 12 else "am")
        elif kind == TZ:
            seconds, name = _zone(dt)
            out.append(name if name else _tz(NUM_TZ, seconds))
        elif kind in (FRAC0, FRAC9):
            separator = layout[i - size]
            text = f"{dt.microsecond:06d}"[:digits].ljust(digits, "0")
            if kind == FRAC9:
                text = text.rstrip("0")
                if text:
                    out.append(separator + text)
            else:
                out.append(separator + text)
        else:
            out.append(_tz(kind, _zone(dt)[0]))
    return "".join(out)


def go_time_string(dt: datetime) -> str:
    """``time.Time.String()``: ``2006-01-02 15:04:05.999999999 -0700 MST``."""
    return format_go(dt, "2006-01-02 15:04:05.999999999 -0700 MST")


_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})\Z")


def parse_rfc3339(text: str) -> datetime | None:
    """Go ``time.Parse(time.RFC3339, text)``: offset required, fraction allowed; None if invalid."""
    m = _RFC3339.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction, zone = m.group(7), m.group(8)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    if zone == "Z":
        tz = UTC
    else:
        hh, mm = int(zone[1:3]), int(zone[4:6])
        if hh > 24 or mm > 60:
            return None
        delta = timedelta(hours=hh, minutes=mm)
        if delta >= timedelta(hours=24):
            return None
        tz = timezone(-delta if zone[0] == "-" else delta)
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None
