"""What packs call while they run: post events, take actions (long poll), post results.

Every call needs the pack to be registered and refreshes its lastSeen first, even when the body is
then refused (the original's contract): so the body is read, through `read_body`, only after that.
A caller whose token is bound to another pack is refused before anything is written (issue 19).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..adapters import Adapters
from ..domain import chat, times
from ..domain.actions import Action
from ..domain.callers import Caller
from ..domain.chat import ChatActor
from ..domain.errors import InvalidInput, StateConflict, found
from ..domain.events import Event
from ..domain.packs import Pack, queue_is_current
from ..observability import logger
from ..settings import MAX_TAKE_WAIT_SECONDS
from . import pipeline, secrets

# What a posted event or result says: (event name, payload, createdAt or None).
PostedEvent = tuple[str, Any, datetime | None]


def post_event(
    adapters: Adapters,
    pack_id: str,
    read_body: Callable[[], tuple[str, Any, datetime | None, ChatActor | None]],
    caller: Caller,
    idempotency_key: str | None = None,
) -> Event:
    """Store a pack's event. The person it says acted in chat (issue 27) is kept only from a token
    bound to that very chat pack; anyone else's claim is dropped and recorded as dropped."""
    pack = _seen_pack(adapters, pack_id, caller, "post events as")
    name, payload, created_at, claimed = read_body()
    why_not = chat.may_assert(caller.bound_pack, pack.name, adapters.settings.chat_packs) if claimed else None
    actor = chat.with_chat_actor(caller.record(), claimed, why_not is None, why_not or "")
    if why_not:
        logger.warning("chat actor dropped", extra={"packId": pack.id, "chatUser": claimed and claimed.user, "reason": why_not})
    return pipeline.receive_event(adapters, pack, name, payload, created_at, caller, idempotency_key, actor=actor)


def take(adapters: Adapters, pack_id: str, wait: str | None, command: str | None, caller: Caller) -> tuple[Pack, Action | None]:
    """Long-poll for the pack's next action (`wait` seconds as sent; absent: the configured default).
    Returns the pack and the action, None when none came; its input holds the values of the secrets
    it references."""
    pack = _seen_pack(adapters, pack_id, caller, "take the actions of")
    if pack.delivery:  # issue 20: its actions are POSTed to it; it has no queue to take from
        raise StateConflict(
            f"Pack {pack.id!r} receives its actions by push delivery; it has no queue to take from. "
            "Register it without 'delivery' to long-poll."
        )
    wait_seconds = _wait_seconds(wait, adapters.settings.take_wait_seconds)
    action = pipeline.take(adapters, pack, wait_seconds, command, caller)
    if action is None or not action.secret_refs:
        return pack, action
    # issue 24: the values exist only in this answer (SecretRefused, the action FATAL, when out of scope)
    return pack, replace(action, input=secrets.reveal(adapters, pack, action))


def ready_queue(adapters: Adapters, pack_id: str, caller: Caller) -> str:
    """The queue a pack's ready long poll peeks at (issue 21: the poll that parks no function), for a
    caller the take would serve: the same checks as `take` (registered pack, a pack-bound token of
    its name, not a push pack, a queue of this deployment), and lastSeen refreshed as a take does."""
    pack = _seen_pack(adapters, pack_id, caller, "take the actions of")
    if pack.delivery:
        raise StateConflict(f"Pack {pack.id!r} receives its actions by push delivery; it has no queue to wait on.")
    if not queue_is_current(adapters.settings.pack_queue_prefix, pack.queue_url):
        raise StateConflict(f"Pack {pack.id!r} was registered before this deployment's queues were renamed; register it again.")
    return pack.queue_url


def post_result(
    adapters: Adapters,
    pack_id: str,
    action_id: str,
    read_body: Callable[[], PostedEvent],
    caller: Caller,
    idempotency_key: str | None = None,
) -> str:
    """Record a pack's result for an action; returns the id of the result event, whose trace will say
    which steps it started (the first request's, for a repeat under the same idempotency key)."""
    pack = _seen_pack(adapters, pack_id, caller, "post the results of")
    finished = pipeline.complete(adapters, pack, action_id, *read_body(), caller=caller, idempotency_key=idempotency_key)
    assert finished.result is not None  # a finished action holds its result event
    return str(finished.result["id"])


def _seen_pack(adapters: Adapters, pack_id: str, caller: Caller, doing: str) -> Pack:
    """The registered pack, its lastSeen refreshed; NotFound when it is not registered, NotAllowed
    (and nothing written) when the caller's token is bound to another pack."""
    bound = caller.bound_pack or "" if caller.pack_bound else None
    pack = adapters.packs_table.touch(pack_id, times.now(), only_named=bound)
    if pack is None and bound is not None:
        other = adapters.packs_table.get(pack_id)  # refused for its name, or not there at all?
        if other is not None:
            caller.check_acts_as(other.name, doing)
    return found(pack, f"No pack {pack_id!r} is registered; register it with POST /v1/packs first.")


def _wait_seconds(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    try:
        wait = int(raw)
    except ValueError:
        raise InvalidInput(f"'wait' must be a whole number of seconds from 0 to {MAX_TAKE_WAIT_SECONDS}.", field="wait") from None
    if not 0 <= wait <= MAX_TAKE_WAIT_SECONDS:
        raise InvalidInput(f"'wait' must be from 0 to {MAX_TAKE_WAIT_SECONDS} seconds, got {wait}.", field="wait")
    return wait
