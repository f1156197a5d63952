"""Datastore items in the datastore table."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import DoesNotExist

from ..domain import times
from ..domain.datastore import Item
from .conditions import written
from .models import DatastoreItemModel


def _to_item(model: DatastoreItemModel, with_value: bool = True) -> Item:
    return Item(
        key=model.key,
        value=model.value if with_value else b"",
        content_type=model.contentType,
        description=model.description,
        updated_by=model.updatedBy,
    )


class DatastoreTable:
    def __init__(self, model: type[DatastoreItemModel]) -> None:
        self.model = model

    def put(self, item: Item) -> bool:
        """Store an item; True if it was created, False if it replaced one."""
        model = self.model(
            item.key,
            value=item.value,
            contentType=item.content_type,
            description=item.description,
            updatedAt=times.now(),
            updatedBy=item.updated_by,
        )
        if written(lambda: model.save(condition=self.model.key.does_not_exist())):
            return True
        model.save()
        return False

    def get(self, key: str) -> Item | None:
        try:
            return _to_item(self.model.get(key))
        except DoesNotExist:
            return None

    def list_all(self) -> Iterator[Item]:
        """Every item without its value (a paginated scan projecting only the listed attributes)."""
        scan = self.model.scan(attributes_to_get=["key", "contentType", "description", "updatedBy"])
        return (_to_item(model, with_value=False) for model in scan)

    def delete(self, key: str) -> bool:
        """False when there was no such item."""
        return written(lambda: self.model(key).delete(condition=self.model.key.exists()))
