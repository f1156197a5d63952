"""Reading an index that an upgrade in progress may not have yet, or any more (issue 21, docs/scale.md
"Upgrading the indexes"): a re-keyed index comes beside the one it retires, in its own release."""

from __future__ import annotations

import heapq
import itertools
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from pynamodb.exceptions import QueryError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action as UpdateAction
from pynamodb.models import Model

from ..observability import logger
from .conditions import written

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


def backfill_keys(
    model: type[Model],
    lacking: Condition,
    keys_of: Callable[[Any], list[UpdateAction]],
    scan_condition: Condition | None = None,
    attributes_to_get: list[str] | None = None,
) -> int:
    """Give the items stored before an index existed its keys (an upgrade's backfill): a scan of the
    items `lacking` them (and matching `scan_condition`), each updated with `keys_of(item)` only if it
    still lacks one. The keys derive from the item, so writing one again changes nothing, and a second
    run updates nothing. Returns how many were updated."""
    updated = 0
    condition = lacking if scan_condition is None else scan_condition & lacking
    for item in model.scan(condition, attributes_to_get=attributes_to_get):
        keys = keys_of(item)
        if written(lambda: model(item.id).update(actions=keys, condition=model.id.exists() & lacking)):  # type: ignore[attr-defined]  # noqa: B023
            updated += 1
    return updated
