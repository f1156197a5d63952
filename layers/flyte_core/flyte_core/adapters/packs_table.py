"""Pack records in the packs table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from ..domain.packs import Delivery, Pack
from .conditions import written
from .indexes import if_index_ready
from .models import PackModel
from .table_versions import PACKS_MARKER, packs_version

SEEN_EVERY = timedelta(seconds=60)  # how stale lastSeen may get before a call of the pack refreshes it


def _to_pack(model: PackModel) -> Pack:
    return Pack(
        id=model.id,
        name=model.name,
        labels=model.labels.as_dict() if model.labels else {},
        commands=model.commands or [],
        events=model.events or [],
        links=model.links or [],
        last_seen=model.lastSeen,
        queue_url=model.queueUrl,
        registered_by=model.registeredBy,
        delivery=_to_delivery(model.delivery),
    )


def _to_delivery(stored: dict | None) -> Delivery | None:
    if not stored:
        return None
    return Delivery(url=stored["url"], sealed_secret=stored["secret"], api_base=stored.get("apiBase", ""))


def _from_delivery(delivery: Delivery | None) -> dict | None:
    if delivery is None:
        return None
    return {"url": delivery.url, "secret": delivery.sealed_secret, "apiBase": delivery.api_base}


class PacksTable:
    def __init__(self, model: type[PackModel]) -> None:
        self.model = model
        # issue 21: written after each registration and removal (not lastSeen); the step matcher's cache reads it
        self.version = packs_version(model)

    def save(self, pack: Pack) -> None:
        """Register (or fully replace) a pack, then mark the packs changed (before returning: an action
        created after the registration returned is sent to it, see services/lookups.py)."""
        self.model(
            pack.id,
            name=pack.name,
            labels=pack.labels,
            commands=pack.commands,
            events=pack.events,
            links=pack.links,
            lastSeen=pack.last_seen,
            queueUrl=pack.queue_url,
            registeredBy=pack.registered_by,
            delivery=_from_delivery(pack.delivery),
        ).save()
        self.version.bump()

    def get(self, pack_id: str) -> Pack | None:
        if pack_id == PACKS_MARKER:
            return None
        try:
            return _to_pack(self.model.get(pack_id))
        except DoesNotExist:
            return None

    def list_all(self) -> Iterator[Pack]:
        """Every pack (a paginated scan: listing is the one place a scan is acceptable); not the version marker."""
        return (_to_pack(model) for model in self.model.scan() if model.id != PACKS_MARKER)

    def with_name(self, name: str) -> list[Pack]:
        """The packs registered under a name, from byNameStable (without lastSeen, which it does not
        project: last_seen is None), or from the retired byName while the new index is being built
        (docs/scale.md "Upgrading the indexes")."""
        found = if_index_ready(lambda: self.model.by_name_stable.query(name), "byNameStable")
        if found is None:
            found = list(self.model.by_name.query(name))
        return [_to_pack(model) for model in found]

    def delete(self, pack_id: str) -> Pack | None:
        """Delete a pack; returns what was deleted, or None when there was no such pack."""
        pack = self.get(pack_id)
        if pack is None or not written(lambda: self.model(pack_id).delete(condition=self.model.id.exists())):
            return None
        self.version.bump()
        return pack

    def touch(self, pack_id: str, at: datetime, only_named: str | None = None) -> Pack | None:
        """The registered pack, its lastSeen refreshed when older than SEEN_EVERY; None when the pack
        is not registered (or, with `only_named`, has another name: then nothing is written).

        Every call of a pack (each take, event, result) comes here. Issue 21: a strongly consistent
        read (1 read unit) decides, and lastSeen is written only once a minute, conditionally (of
        polls at once, one writes): 60 s is nothing against the dead-pack grace period (days)."""
        if pack_id == PACKS_MARKER:
            return None
        try:
            model = self.model.get(pack_id, consistent_read=True)
        except DoesNotExist:
            return None
        if only_named is not None and model.name != only_named:
            return None
        if model.lastSeen is not None and model.lastSeen > at - SEEN_EVERY:
            return _to_pack(model)
        stale = self.model.lastSeen.does_not_exist() | (self.model.lastSeen <= at - SEEN_EVERY)
        if written(
            lambda: self.model(pack_id).update(actions=[self.model.lastSeen.set(at)], condition=self.model.id.exists() & stale)
        ):
            model.lastSeen = at
        return _to_pack(model)
