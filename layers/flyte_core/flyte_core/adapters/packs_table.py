"""Pack records in the packs table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError

from ..domain.packs import Pack
from .models import PackModel


def _to_pack(model: PackModel) -> Pack:
    return Pack(id=model.id, name=model.name, labels=model.labels.as_dict() if model.labels else {},
                commands=model.commands or [], events=model.events or [], links=model.links or [],
                last_seen=model.lastSeen, queue_url=model.queueUrl, registered_by=model.registeredBy)


def save(pack: Pack) -> None:
    """Register (or fully replace) a pack."""
    PackModel(pack.id, name=pack.name, labels=pack.labels, commands=pack.commands, events=pack.events,
              links=pack.links, lastSeen=pack.last_seen, queueUrl=pack.queue_url, registeredBy=pack.registered_by).save()


def get(pack_id: str) -> Pack | None:
    try:
        return _to_pack(PackModel.get(pack_id))
    except DoesNotExist:
        return None


def list_all() -> Iterator[Pack]:
    """Every pack (a paginated scan: listing is the one place a scan is acceptable)."""
    return (_to_pack(model) for model in PackModel.scan())


def with_name(name: str) -> list[Pack]:
    return [_to_pack(model) for model in PackModel.by_name.query(name)]


def delete(pack_id: str) -> Pack | None:
    """Delete a pack; returns what was deleted, or None when there was no such pack."""
    pack = get(pack_id)
    if pack is None:
        return None
    try:
        PackModel(pack_id).delete(condition=PackModel.id.exists())
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return pack


def touch(pack_id: str, at: datetime) -> Pack | None:
    """Refresh lastSeen of an existing pack and return it (None when the pack is not registered)."""
    try:
        model = PackModel(pack_id)
        model.update(actions=[PackModel.lastSeen.set(at)], condition=PackModel.id.exists())
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return _to_pack(model)
