"""Registering and removing packs: the pack record and its SQS queue move together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..adapters import Adapters
from ..domain import times
from ..domain.callers import ANONYMOUS, Caller
from ..domain.errors import found
from ..domain.packs import Pack, queue_is_current
from ..observability import logger

if TYPE_CHECKING:
    from ..domain.delivery import Registration as DeliveryRegistration


def register(
    adapters: Adapters, pack: Pack, caller: Caller = ANONYMOUS, delivery: DeliveryRegistration | None = None, base: str = ""
) -> Pack:
    """Create (or keep) the pack's queue, then store the registration; re-registering replaces it.
    A token bound to another pack may not register this one (issue 19). A push pack (`delivery`,
    issue 20) gets no queue: its actions are POSTed to its URL, and its result links start at `base`."""
    caller.check_acts_as(pack.name, "register")
    pack.registered_by = caller.record()
    previous = None
    if delivery is not None:
        from . import delivery as push

        previous = adapters.packs_table.get(pack.id)
        push.prepare(adapters, pack, delivery, base, previous)
    else:
        pack.queue_url = adapters.pack_queues.ensure_queue(pack.id)
    pack.last_seen = times.now()
    adapters.packs_table.save(pack)
    logger.info("pack registered", extra={"packId": pack.id, "queueUrl": pack.queue_url, "push": delivery is not None})
    if previous is not None and previous.queue_url:  # it long-polled until now: its queue goes
        adapters.pack_queues.delete_queue(previous.queue_url)
    from . import pipeline  # a registration offers waiting actions; listing or deleting packs needs none of it

    pipeline.enqueue_waiting(adapters, pack)
    return pack


def unregister(adapters: Adapters, pack_id: str) -> Pack | None:
    """Remove the pack and its queue; None when there was no such pack."""
    pack = adapters.packs_table.delete(pack_id)
    if pack is not None:
        # Another registration of the same id may have recreated the record meanwhile: keep its queue.
        # A queue of an older deployment's prefix is not this one's to delete (README: upgrading).
        if adapters.packs_table.get(pack_id) is None and queue_is_current(adapters.settings.pack_queue_prefix, pack.queue_url):
            adapters.pack_queues.delete_queue(pack.queue_url)
        logger.info("pack removed", extra={"packId": pack_id})
    return pack


def pack(adapters: Adapters, pack_id: str) -> Pack:
    return found(adapters.packs_table.get(pack_id), f"No pack {pack_id!r} is registered.")


def all_packs(adapters: Adapters) -> list[Pack]:
    return list(adapters.packs_table.list_all())


def remove(adapters: Adapters, pack_id: str, caller: Caller) -> None:
    """Unregister a pack the caller names; NotFound when there is none, NotAllowed when the caller's
    token is bound to another pack."""
    caller.check_acts_as(pack(adapters, pack_id).name, "remove")
    found(unregister(adapters, pack_id), f"No pack {pack_id!r} is registered.")
    logger.info("pack removed by request", extra={"packId": pack_id, "by": caller.record()})
