"""Reading an index that an upgrade in progress may not have yet, or any more (issue 21, docs/scale.md
"Upgrading the indexes"): a re-keyed index comes beside the one it retires, in its own release."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from pynamodb.exceptions import QueryError

from ..observability import logger

T = TypeVar("T")


def index_missing(error: QueryError) -> bool:
    """Whether a query failed because its index is not there (removed, or not yet created) or is
    still being built."""
    # AWS: ValidationException "The table does not have the specified index" or "Cannot read from
    # backfilling global secondary index"; moto: ResourceNotFoundException "Invalid index"
    codes = ("ValidationException", "ResourceNotFoundException")
    return error.cause_response_code in codes and "index" in (error.cause_response_message or "").lower()


def if_index_ready(query: Callable[[], Iterable[T]], index: str) -> list[T] | None:
    """A query's items; None when its index is not usable (see index_missing)."""
    try:
        return list(query())
    except QueryError as error:
        if not index_missing(error):
            raise
        logger.info("index not usable yet (or any more); skipped", extra={"index": index, "error": str(error.cause)})
        return None
