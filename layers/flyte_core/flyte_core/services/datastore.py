"""Datastore items: reference data flows read from their templates."""

from __future__ import annotations

from ..adapters import Adapters
from ..domain.chat import check_item
from ..domain.datastore import Item
from ..domain.errors import NotFound, found
from ..observability import logger


def all_items(adapters: Adapters) -> list[Item]:
    """Every item, without its value."""
    return list(adapters.datastore_table.list_all())


def item(adapters: Adapters, key: str) -> Item:
    return found(adapters.datastore_table.get(key), f"No datastore item {key!r}.")


def store(adapters: Adapters, item: Item) -> bool:
    """True when the item is new, False when it replaced one. The chat identities document (issue 27)
    is refused (400) with a mistake in it, rather than leaving everyone without claims."""
    check_item(item.key, item.value)
    return adapters.datastore_table.put(item)


def delete(adapters: Adapters, key: str, actor: dict[str, str]) -> None:
    """Delete an item, logging who did (the item, and with it its `updatedBy`, is gone)."""
    if not adapters.datastore_table.delete(key):
        raise NotFound(f"No datastore item {key!r}.")
    logger.info("datastore item deleted", extra={"key": key, "by": actor})
