"""The Lambda authorizer of a pack's ready long poll (issue 21): `GET /v1/packs/{packId}/actions/ready`.

That route has no function behind it: API Gateway peeks at the pack's queue itself (an HTTP API
service integration, SQS-ReceiveMessage with VisibilityTimeout 0), so a pack can wait up to 20 s
for an action while nothing is billed by the second. This authorizer is what it needs from the
engine, and API Gateway caches its answer (template.yaml: ReadyAuthorizer):

- which queue: the pack's, read from the packs table (returned as context `queueUrl`);
- whether the caller may: exactly the take's rules - the auth policy and token check of
  `POST .../actions/take` for the same pack, a pack-bound token only for its own pack name, no push
  pack - so whoever may take a pack's actions may wait for them, and no one else.

API Gateway's simple response format: `{"isAuthorized": bool, "context": {...}}`. A refusal (a
problem a take would answer 4xx) is `isAuthorized: false` (API Gateway answers 403, and caches it
like a grant); what a take would answer 5xx (the policy or issuer unreachable) raises, so that API
Gateway answers 500 and caches nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from ..adapters import Adapters
from ..domain.callers import ANONYMOUS
from ..domain.errors import DomainError
from ..observability import logger
from ..services import pack_runtime
from . import web
from .auth.environment import environment_guard
from .auth.guard import Refused

READY_SUFFIX = "/actions/ready"
TAKE_SUFFIX = "/actions/take"


class AuthorizerUnavailable(Exception):
    """The check could not be made (the policy or the token issuer did not answer): API Gateway
    answers 500, and this answer is not cached."""


def take_path(raw_path: str) -> str:
    """The take's path for the pack of a ready path: the policy rule that governs taking its actions."""
    base = raw_path[: -len(READY_SUFFIX)] if raw_path.endswith(READY_SUFFIX) else raw_path.rstrip("/")
    return base + TAKE_SUFFIX


def pack_id_of(event: Mapping[str, Any]) -> str | None:
    """The packId path parameter (API Gateway passes it decoded), else the raw path's segment."""
    value = (event.get("pathParameters") or {}).get("packId")
    if value:
        return str(value)
    parts = str(event.get("rawPath") or "").split("/")
    return unquote(parts[3]) if len(parts) > 3 and parts[1:3] == ["v1", "packs"] else None


def authorize(adapters: Adapters, event: Mapping[str, Any]) -> dict[str, Any]:
    """The simple response for one authorizer event (payload format 2.0)."""
    pack_id = pack_id_of(event)
    raw_path = str(event.get("rawPath") or "")
    if not pack_id:
        return _refuse("no packId in the path", raw_path)
    guard = environment_guard()
    caller = ANONYMOUS
    if guard is not None:
        try:
            identity = guard.check("POST", take_path(raw_path), web.header(event.get("headers") or {}, "authorization"))
        except Refused as refused:
            if refused.status >= 500:
                raise AuthorizerUnavailable(refused.detail) from None
            return _refuse(refused.detail, raw_path)
        caller = identity.caller() if identity else ANONYMOUS
    try:
        queue_url = pack_runtime.ready_queue(adapters, pack_id, caller)
    except DomainError as error:
        return _refuse(str(error), raw_path, pack_id)
    logger.info(
        "ready poll authorized", extra={"packId": pack_id, **{k: v for k, v in caller.record().items() if k in ("iss", "sub")}}
    )
    return {"isAuthorized": True, "context": {"queueUrl": queue_url}}


def _refuse(reason: str, raw_path: str, pack_id: str | None = None) -> dict[str, Any]:
    logger.info("ready poll refused", extra={"path": raw_path, "packId": pack_id, "reason": reason})
    return {"isAuthorized": False}
