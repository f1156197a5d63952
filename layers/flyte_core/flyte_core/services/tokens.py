"""Revoking tokens (issue 19): the deny list every API function's auth check reads."""

from __future__ import annotations

from typing import Any

from ..adapters import Adapters
from ..domain import times
from ..domain.callers import Caller
from ..domain.errors import NotFound, Unavailable
from ..domain.revocations import Revocation, parse_revocation
from ..observability import logger


def _table(adapters: Adapters) -> Any:
    if not adapters.settings.revocations_table:
        raise Unavailable("This deployment keeps no list of revoked tokens (FLYTE_REVOCATIONS_TABLE is not set).")
    return adapters.revocations_table


def revoke(adapters: Adapters, body: Any, caller: Caller) -> Revocation:
    """Deny a token id or a subject's tokens issued so far; every warm function applies it within a minute."""
    entry = parse_revocation(body, caller.record(), times.now())
    _table(adapters).put(entry)
    logger.info("token revoked", extra={"revocation": entry.id, "kind": entry.kind, "by": caller.record()})
    return entry


def revocations(adapters: Adapters) -> list[Revocation]:
    result: list[Revocation] = _table(adapters).all(times.now())
    return result


def lift(adapters: Adapters, revocation_id: str, caller: Caller) -> None:
    if not _table(adapters).delete(revocation_id):
        raise NotFound(f"No revocation {revocation_id!r}.")
    logger.info("token revocation lifted", extra={"revocation": revocation_id, "by": caller.record()})
