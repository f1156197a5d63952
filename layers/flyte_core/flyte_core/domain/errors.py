"""What can go wrong in the domain, independent of how it is reported (the HTTP layer maps each
kind to a problem+json status in flyte_core.http.problems).

`detail` says what is wrong in words a user can act on; keyword extras (`field`, `stepId`, `line`,
`column`, `maxBytes`, ...) locate it and appear as members of the problem body.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


class DomainError(Exception):
    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(DomainError):
    """A document, body or parameter that breaks the rules."""


class Unverified(DomainError):
    """A request that does not prove who sent it (a webhook's bad or missing signature)."""


class NotAllowed(DomainError):
    """The caller may not do this (e.g. a pack completing another pack's action)."""


class NotFound(DomainError):
    """No such flow, pack, action, item..."""


class StateConflict(DomainError):
    """The record was not in the state the change requires (someone else changed it first)."""


class TooLarge(DomainError):
    """More than a record can hold."""


class UnsupportedFormat(DomainError):
    """Input sent in a form this operation does not read."""


class KeyReused(DomainError):
    """An Idempotency-Key sent again with another request: the key names the first request only."""


class Unavailable(DomainError):
    """A backing service cannot do it now; retrying later may work."""


def found(value: T | None, detail: str) -> T:
    """The value, or NotFound saying what is missing: the one shape of every get-or-404."""
    if value is None:
        raise NotFound(detail)
    return value
