"""Go regexp semantics through RE2 (``google-re2``): linear time, no catastrophic backtracking.

Go's ``regexp`` is RE2 syntax with leftmost-first (Perl-like) matching on UTF-8, which is RE2's
default; backreferences and lookarounds are rejected, as in Go.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print every rejected pattern to stderr


class RegexError(ValueError):
    pass


@lru_cache(maxsize=512)
def _compile(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return RegexError(f"invalid regular expression {pattern!r}: {reason}")
    except (TypeError, ValueError) as exc:
        return RegexError(f"invalid regular expression {pattern!r}: {exc}")


def compile_go(pattern: str) -> Any:
    """A compiled RE2 pattern; raises RegexError for a pattern Go would reject."""
    compiled = _compile(pattern)
    if isinstance(compiled, RegexError):
        raise compiled
    return compiled


def check(pattern: str) -> str | None:
    """None if the pattern is valid, else the reason."""
    compiled = _compile(pattern)
    return str(compiled) if isinstance(compiled, RegexError) else None
