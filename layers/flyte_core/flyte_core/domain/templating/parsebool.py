"""Go's ``strconv.ParseBool``: how a rendered criteria string becomes a decision (api-contract §5.4 step 3)."""

from __future__ import annotations

_TRUE = frozenset(("1", "t", "T", "TRUE", "true", "True"))
_FALSE = frozenset(("0", "f", "F", "FALSE", "false", "False"))


def parse_bool(text: str) -> bool:
    """Exactly the spellings Go accepts; anything else (including surrounding spaces) is an error."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"invalid boolean {text!r}: expected one of 1 t T TRUE true True 0 f F FALSE false False")
