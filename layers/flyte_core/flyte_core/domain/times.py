"""Times as the original writes and reads them (RFC 3339, UTC, Go's trimmed fractions)."""

from __future__ import annotations

from datetime import UTC, datetime


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with the fraction trimmed, as Go's time.RFC3339Nano."""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += ("." + f"{value.microsecond:06d}").rstrip("0")
    return text + "Z"


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (offset required); raises ValueError."""
    if not isinstance(text, str) or "T" not in text.upper():
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    normalised = text.strip()
    if normalised[-1] in "zZ":
        normalised = normalised[:-1] + "+00:00"
    # Python accepts at most 6 fraction digits; Go sends up to 9.
    date_part, _, rest = normalised.partition(".")
    if rest:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        rest = rest[: min(digits, 6)] + rest[digits:]
        normalised = f"{date_part}.{rest}" if digits else date_part + rest
    parsed = datetime.fromisoformat(normalised)
    if parsed.tzinfo is None:
        raise ValueError(f"RFC 3339 time needs an offset: {text!r}")
    return parsed.astimezone(UTC)


def now() -> datetime:
    return datetime.now(UTC)
