"""The execution pipeline: event -> actions -> pack queues -> take -> result -> next steps.

This module is the life of an action, which the pack runtime, the registry and the reaper drive:
events in, delivery to pack queues, take, result, expiry. Which actions an event creates - the step
rules - is `matching`, which only the step matcher (and dry runs) load.

Every step is idempotent, so a stream record or a request processed twice changes nothing more:
execution and action ids are derived from their causes, records are created with conditional
writes, and duplicate queue messages are resolved when an action is taken.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import observability
from ..adapters import Adapters
from ..domain import idempotency, times
from ..domain.actions import TERMINAL, Action
from ..domain.callers import ANONYMOUS, Caller
from ..domain.errors import KeyReused, NotAllowed, StateConflict, found
from ..domain.events import FATAL, Event, new_event
from ..domain.packs import Pack, labels_include, queue_is_current
from ..observability import logger

if TYPE_CHECKING:
    from ..adapters.action_queues import Message

# --- events in and actions out to pack queues ---------------------------------------------------------------------------------


def receive_event(
    adapters: Adapters,
    pack: Pack,
    name: str,
    payload: Any,
    created_at: datetime | None,
    caller: Caller = ANONYMOUS,
    idempotency_key: str | None = None,
    actor: dict[str, Any] | None = None,
) -> Event:
    """Store a posted event, with who posted it (`actor`: the caller's record, with the chat actor it
    relays, issue 27); the events table's stream takes it from there.

    With an idempotency key, a repeat of the same post stores nothing and returns the first event
    (its id); the same key with another body is KeyReused."""
    event_id = idempotency.event_id(pack.id, idempotency_key) if idempotency_key else None
    actor = actor or caller.record()
    event = new_event(name, pack.id, pack.name, pack.labels, payload, created_at, actor=actor, event_id=event_id)
    token = idempotency.request_token(idempotency_key, name, payload, created_at) if idempotency_key else None
    try:
        adapters.events_table.put(event, token)
    except StateConflict:
        if idempotency_key is None:
            raise
        raise KeyReused(
            f"The {idempotency.HEADER} {idempotency_key!r} was sent with another event before; send a new key for a new event.",
            field=idempotency.HEADER,
        ) from None
    logger.info("event received", extra={"eventId": event.id, "event": name, "packId": pack.id})
    observability.record_event_received(pack.name)
    return event


def deliver(adapters: Adapters, action_id: str, command: str, pack_name: str, pack_labels: dict[str, str]) -> int:
    """Send the action to the queue of every registered pack that may take it; returns how many.

    With none registered it waits (NEW, in the waiting index) until a matching pack registers. The
    packs come from the step matcher's cache within its batches (adapters/lookups.py).
    """
    sent = 0
    for pack in adapters.lookups.packs_named(pack_name):
        if not labels_include(pack.labels, pack_labels):
            continue
        if pack.delivery:  # a push pack (issue 20): the delivery queue
            adapters.delivery_queue.send_many(pack.id, [action_id])
        elif not pack.queue_url:
            continue
        elif not queue_is_current(adapters.settings.pack_queue_prefix, pack.queue_url):
            # registered before the queue prefix changed: offered when it registers again
            logger.warning("pack's queue is from an older deployment", extra={"packId": pack.id, "actionId": action_id})
            continue
        elif not adapters.action_queues.send(pack.queue_url, action_id, command):
            # its queue went with it: the pack was removed after the lookup (the index lags the table)
            logger.info("pack's queue is gone", extra={"packId": pack.id, "actionId": action_id})
            continue
        sent += 1
    if not sent:
        logger.info(
            "action waits for a matching pack", extra={"actionId": action_id, "packName": pack_name, "packLabels": pack_labels}
        )
    return sent


def enqueue_waiting(adapters: Adapters, pack: Pack) -> int:
    """When a pack registers, offer it every unfinished action it may take."""
    waiting = [
        (a.id, a.name)
        for a in adapters.actions_table.waiting_for(pack.name)
        if a.state in ("NEW", "PENDING") and labels_include(pack.labels, a.pack_labels)
    ]
    if not waiting:
        return 0
    if pack.delivery:  # a push pack (issue 20): the delivery queue
        adapters.delivery_queue.send_many(pack.id, [action_id for action_id, _ in waiting])
    else:
        adapters.action_queues.send_many(pack.queue_url, waiting)
    logger.info("offered waiting actions to a new pack", extra={"packId": pack.id, "count": len(waiting)})
    return len(waiting)


# --- take ----------------------------------------------------------------------------------------


def take(
    adapters: Adapters, pack: Pack, wait_seconds: int, command: str | None = None, caller: Caller = ANONYMOUS
) -> Action | None:
    """Long-poll the pack's queue for an action it may run, claim it and return it (None: nothing came).

    Messages of other commands (when filtering) are held during this poll and released at its end.
    """
    if not queue_is_current(adapters.settings.pack_queue_prefix, pack.queue_url):
        raise StateConflict(
            f"Pack {pack.id!r} was registered before this deployment's queues were renamed; register it again "
            "(restart the pack) and the actions waiting for it are offered on its new queue."
        )
    started = time.monotonic()
    deadline = started + wait_seconds
    held: list[str] = []
    action: Action | None = None
    try:
        while True:
            remaining = deadline - time.monotonic()
            # whole seconds, rounded up: the poll parks its full `wait` and never returns early (issue 21:
            # a take that gives up a second early costs one more request and invocation per poll)
            for message in adapters.action_queues.receive(pack.queue_url, min(math.ceil(max(0.0, remaining)), wait_seconds)):
                action = _claim(adapters, pack, message, command, held, caller)
                if action is not None:
                    return action
            if time.monotonic() >= deadline:
                return None
    finally:
        for receipt in held:
            adapters.action_queues.hide(pack.queue_url, receipt, 0)
        # the parked time is what a take costs (Lambda bills the whole wait): measured here, not in the handler
        observability.record_take(pack.name, action is not None, time.monotonic() - started)


def _claim(
    adapters: Adapters, pack: Pack, message: Message, command: str | None, held: list[str], caller: Caller
) -> Action | None:
    taker = caller.record()
    # the common case: a NEW action, claimed without reading it first (a lost claim reads it once)
    won, action = adapters.actions_table.claim(message.action_id, pack.id, pack.queue_url, message.receipt, taker, command)
    if won:
        assert action is not None  # a won claim returns the action
        return _taken(action, pack)
    if action is None or action.state in TERMINAL:
        adapters.action_queues.delete(pack.queue_url, message.receipt)
        return None
    if command and action.name != command:
        held.append(message.receipt)
        return None
    now = times.now()
    if action.state == "NEW":  # not expected (states never go back to NEW): let it be taken again
        adapters.action_queues.hide(pack.queue_url, message.receipt, 0)
        return None
    if action.lease_expires_at and action.lease_expires_at > now:
        # someone holds it: offer it again when that lease ends, in case that taker dies
        adapters.action_queues.hide(pack.queue_url, message.receipt, (action.lease_expires_at - now).total_seconds() + 1)
        return None
    if action.attempts >= adapters.settings.action_max_attempts:
        expire(adapters, action, pack.id)
        adapters.action_queues.delete(pack.queue_url, message.receipt)
        return None
    won, claimed = adapters.actions_table.claim(action.id, pack.id, pack.queue_url, message.receipt, taker, expired=action)
    if won and claimed is not None:
        observability.record_lease_expiry(pack.name)  # its last taker's lease ran out: this is a retry
        return _taken(claimed, pack)
    return None  # another taker won; its message copy settles the action


def _taken(action: Action, pack: Pack) -> Action:
    logger.info("action taken", extra={"actionId": action.id, "packId": pack.id, "attempt": action.attempts})
    return action


def expire(adapters: Adapters, action: Action, pack_id: str) -> None:
    """End an action whose every lease ran out: FATAL, with a result event that continues the flow."""
    lease, attempts = adapters.settings.action_lease_seconds, adapters.settings.action_max_attempts
    reason = (
        f"No result after {action.attempts} attempt(s) of {lease} s each "
        f"(FLYTE_ACTION_MAX_ATTEMPTS={attempts}, FLYTE_ACTION_LEASE_SECONDS={lease})."
    )
    result = new_event(FATAL, pack_id, action.pack_name, action.pack_labels, reason, action_id=action.id)
    try:
        adapters.actions_table.finish(action, result)
        logger.warning("action expired", extra={"actionId": action.id, "attempts": action.attempts})
    except StateConflict:
        return  # a result arrived meanwhile
    observability.record_action_expired(action.pack_name)
    record_finished(action, FATAL)


def record_finished(action: Action, state: str) -> None:
    """The metrics of an action that reached its final state (a result, an expiry, a push delivery given up)."""
    created = times.parse_time(action.states[0]["time"]) if action.states else None
    observability.record_action_finished(action.pack_name, action.name, state, created, times.now())


# --- results ----------------------------------------------------------------------------------------


def complete(
    adapters: Adapters,
    pack: Pack,
    action_id: str,
    name: str,
    payload: Any,
    created_at: datetime | None,
    caller: Caller = ANONYMOUS,
    idempotency_key: str | None = None,
) -> Action:
    """Record a pack's result for an action it may complete.

    Raises NotFound when there is no such action, NotAllowed when the pack's name or labels do not
    match it, StateConflict when it is not PENDING (never taken, or finished already). With an
    idempotency key, a repeat of a recorded result returns the action it finished (nothing new is
    written) and the same key with another body is KeyReused.
    """
    action = found(adapters.actions_table.get(action_id), f"No action {action_id!r}.")
    if action.pack_name != pack.name or not labels_include(pack.labels, action.pack_labels):
        raise NotAllowed(
            f"Action {action_id} is for pack {action.pack_name!r} with labels {action.pack_labels}; "
            f"pack {pack.id!r} may not complete it."
        )
    key = idempotency_key
    result_id = idempotency.result_id(pack.id, action.id, key) if key else None
    token = idempotency.request_token(key, name, payload, created_at) if key else None
    if action.secret_refs:  # issue 24: a secret's value the pack echoes back is stored masked
        from .secrets import mask_result

        payload = mask_result(adapters, action, payload)
    result = new_event(
        name, pack.id, pack.name, pack.labels, payload, created_at, action_id=action.id, actor=caller.record(), event_id=result_id
    )
    try:
        if action.state != "PENDING":
            raise StateConflict(action_id)
        finished = adapters.actions_table.finish(action, result, token)
    except StateConflict:
        current = adapters.actions_table.get(action_id)  # the state that stopped it, read once more to say which
        if key and current is not None and (current.result or {}).get("id") == result.id:
            if current.result_token != token:
                raise KeyReused(
                    f"The {idempotency.HEADER} {key!r} was sent with another result for action {action_id} before.",
                    field=idempotency.HEADER,
                ) from None
            logger.info("result repeated", extra={"actionId": action.id, "packId": pack.id})
            return current  # the first request's answer: its result is recorded
        state = current.state if current else None
        raise StateConflict(
            f"Action {action_id} is {state or 'gone'}, not PENDING: only a taken action takes a result, and only once.",
            state=state,
        ) from None
    if action.claim_queue_url and action.claim_receipt:
        adapters.action_queues.delete(action.claim_queue_url, action.claim_receipt)  # else it is settled when next received
    logger.info("action finished", extra={"actionId": action.id, "state": finished.state, "packId": pack.id})
    record_finished(action, finished.state)
    return finished
