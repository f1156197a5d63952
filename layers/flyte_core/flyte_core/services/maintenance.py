"""Daily upkeep: dead packs (api-contract §3.3, off by default as in the original) and actions whose last
lease ran out with no pack polling for them (the original left those PENDING forever)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .. import observability
from ..adapters import Adapters
from ..domain import times
from ..observability import logger
from . import pipeline, registry


def remove_dead_packs(adapters: Adapters) -> list[str]:
    """Packs not seen within the grace period go, with their queues; their unfinished actions stay
    in the waiting index for the next matching pack."""
    cutoff = times.now() - timedelta(seconds=adapters.settings.pack_grace_period_seconds)
    removed = []
    for pack in adapters.packs_table.list_all():
        if pack.last_seen is None or pack.last_seen < cutoff:
            if registry.unregister(adapters, pack.id) is not None:
                removed.append(pack.id)
    if removed:
        logger.info("dead packs removed", extra={"packIds": removed})
    return removed


def expire_abandoned_actions(adapters: Adapters) -> list[str]:
    """Actions whose final lease expired end FATAL now, continuing their flows. Those with attempts
    left stay PENDING until a pack takes them again; how many there are is a metric (no pack polls them)."""
    expired = []
    stuck = 0
    for action in adapters.actions_table.pending_with_expired_lease(times.now()):
        if action.attempts >= adapters.settings.action_max_attempts:
            pipeline.expire(adapters, action, pack_id=action.pack_name)
            expired.append(action.id)
        else:
            stuck += 1
    observability.record_pending_past_lease(stuck)
    return expired


def run(adapters: Adapters) -> dict[str, Any]:
    removed = remove_dead_packs(adapters) if adapters.settings.should_delete_dead_packs else []
    return {"deadPacksRemoved": removed, "actionsExpired": expire_abandoned_actions(adapters)}
