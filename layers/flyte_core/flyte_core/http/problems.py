"""Domain errors as RFC 9457 problem+json bodies (the original answered with empty bodies): the one
place that decides which status each kind of error gets."""

from __future__ import annotations

from typing import Any

from ..domain.errors import (
    DomainError,
    InvalidInput,
    KeyReused,
    NotAllowed,
    NotFound,
    StateConflict,
    TooLarge,
    Unavailable,
    UnsupportedFormat,
    Unverified,
)

PROBLEM_CONTENT_TYPE = "application/problem+json"

STATUS: dict[type[DomainError], tuple[int, str]] = {
    InvalidInput: (400, "Bad Request"),
    Unverified: (401, "Unauthorized"),
    NotAllowed: (403, "Forbidden"),
    NotFound: (404, "Not Found"),
    StateConflict: (409, "Conflict"),
    TooLarge: (413, "Payload Too Large"),
    KeyReused: (422, "Unprocessable Content"),
    UnsupportedFormat: (415, "Unsupported Media Type"),
    Unavailable: (503, "Service Unavailable"),
}
INTERNAL_ERROR = (500, "Internal Server Error")


def status_of(error: DomainError) -> tuple[int, str]:
    """Status and title of the nearest kind of error the table names (500 for any other)."""
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return INTERNAL_ERROR


def problem(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}


def problem_for(error: DomainError) -> dict[str, Any]:
    status, title = status_of(error)
    return problem(status, title, error.detail, **error.extra)
