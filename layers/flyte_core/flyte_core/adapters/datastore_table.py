"""Datastore items in the datastore table."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from ..domain import times
from ..domain.datastore import Item
from .models import DatastoreItemModel


def _to_item(model: DatastoreItemModel, with_value: bool = True) -> Item:
    return Item(key=model.key, value=model.value if with_value else b"", content_type=model.contentType,
                description=model.description, updated_by=model.updatedBy)


def put(item: Item) -> bool:
    """Store an item; True if it was created, False if it replaced one."""
    model = DatastoreItemModel(item.key, value=item.value, contentType=item.content_type,
                               description=item.description, updatedAt=times.now(), updatedBy=item.updated_by)
    try:
        model.save(condition=DatastoreItemModel.key.does_not_exist())
        return True
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    model.save()
    return False


def get(key: str) -> Item | None:
    try:
        return _to_item(DatastoreItemModel.get(key))
    except DoesNotExist:
        return None


def list_all() -> Iterator[Item]:
    """Every item without its value (a paginated scan projecting only the listed attributes)."""
    scan = DatastoreItemModel.scan(attributes_to_get=["key", "contentType", "description", "updatedBy"])
    return (_to_item(model, with_value=False) for model in scan)


def delete(key: str) -> bool:
    try:
        DatastoreItemModel(key).delete(condition=DatastoreItemModel.key.exists())
        return True
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
