"""Errors the API answers with an RFC 9457 problem+json body (the original answered with empty bodies)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ApiError(Exception):
    status = 500
    title = "Internal Server Error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"type": "about:blank", "title": self.title, "status": self.status, "detail": self.detail, **self.extra}


class BadRequest(ApiError):
    status, title = 400, "Bad Request"


class Forbidden(ApiError):
    status, title = 403, "Forbidden"


class NotFound(ApiError):
    status, title = 404, "Not Found"


class Conflict(ApiError):
    status, title = 409, "Conflict"


class PayloadTooLarge(ApiError):
    status, title = 413, "Payload Too Large"


class UnsupportedMediaType(ApiError):
    status, title = 415, "Unsupported Media Type"


class ServiceUnavailable(ApiError):
    status, title = 503, "Service Unavailable"


class AuthProblem(ApiError):
    """A refusal of the auth check (401, 405 or 503), its status chosen by the check."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title = status, HTTPStatus(status).phrase
