"""Reading an index that an upgrade in progress may not have yet, or any more (issue 21, docs/scale.md
"Upgrading the indexes"): a re-keyed index comes beside the one it retires, in its own release."""

from __future__ import annotations

import heapq
import itertools
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from pynamodb.exceptions import QueryError

from ..observability import logger

T = TypeVar("T")

# Keys of the byTime indexes of the actions and the events tables (issue 21), the audit's lists
# without a flow or a pack: a key takes 1,000 writes a second; a list reads every key (merged).
TIME_SHARDS = 16


def time_shard(item_id: str) -> str:
    """The byTime key of an action or an event: "0".."15", chosen by its id."""
    return str(zlib.crc32(item_id.encode()) % TIME_SHARDS)


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


def newest_across_shards(query: Callable[[str], Iterable[T]], newest: Callable[[T], Any], index: str) -> Iterator[T] | None:
    """The items of a byTime index newest first: `query(key)` reads one of its TIME_SHARDS keys newest
    first (paged, lazily), and the keys are merged by `newest` (each read as far as the caller reads).
    None when the index is not usable (see index_missing): the caller falls back to a scan."""
    streams = []
    for shard in range(TIME_SHARDS):
        items = iter(query(str(shard)))
        first = if_index_ready(lambda: list(itertools.islice(items, 1)), index)  # noqa: B023
        if first is None:
            return None
        streams.append(itertools.chain(first, items))
    return heapq.merge(*streams, key=newest, reverse=True)
