"""Registering and removing packs: the pack record and its SQS queue move together."""

from __future__ import annotations

from ..adapters import pack_queues, packs_table
from ..domain import times
from ..domain.packs import Pack
from ..observability import logger
from . import pipeline


def register(pack: Pack) -> Pack:
    """Create (or keep) the pack's queue, then store the registration; re-registering replaces it."""
    pack.queue_url = pack_queues.ensure_queue(pack.id)
    pack.last_seen = times.now()
    packs_table.save(pack)
    logger.info("pack registered", extra={"packId": pack.id, "queueUrl": pack.queue_url})
    pipeline.enqueue_waiting(pack)
    return pack


def unregister(pack_id: str) -> Pack | None:
    """Remove the pack and its queue; None when there was no such pack."""
    pack = packs_table.delete(pack_id)
    if pack is not None:
        # Another registration of the same id may have recreated the record meanwhile: keep its queue.
        if packs_table.get(pack_id) is None and pack.queue_url:
            pack_queues.delete_queue(pack.queue_url)
        logger.info("pack removed", extra={"packId": pack_id})
    return pack
