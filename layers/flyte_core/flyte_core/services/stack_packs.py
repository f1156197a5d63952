"""Packs that run inside the stack (issue 20: the Slack pack's function): registered and sending
their events through the engine's own services, in-process, rather than over its HTTP API with a
token. They act as `{iss: urn:flyte:stack, sub: <function>}` in the audit."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..adapters import Adapters
from ..adapters.conditions import written
from ..domain import ids, times
from ..domain.callers import Caller
from ..domain.chat import ChatActor, with_chat_actor
from ..domain.delivery import parse_registration as parse_delivery
from ..domain.errors import found
from ..domain.events import new_event
from ..domain.packs import Pack, parse_registration
from ..observability import logger
from . import registry

STACK_ISSUER = "urn:flyte:stack"


def caller(function: str) -> Caller:
    return Caller(issuer=STACK_ISSUER, subject=function)


def register(adapters: Adapters, body: dict[str, Any], base: str, function: str) -> Pack:
    """Register a pack from its registration body (push delivery included), as POST /v1/packs would."""
    pack = parse_registration(body)
    delivery = parse_delivery(body.get("delivery"), adapters.settings.delivery_bounds)
    return registry.register(adapters, pack, caller(function), delivery, base)


def post_event(
    adapters: Adapters,
    pack_id: str,
    name: str,
    payload: Any,
    function: str,
    once: tuple[float, str] | None = None,
    chat_actor: ChatActor | None = None,
) -> bool:
    """Store an event of the pack, as POST /v1/packs/{id}/events would. `once` = (the time the source
    first sent it, its id at the source): the event's id derives from them, so the same event sent
    again (a retried webhook) is stored once. False when it was there already. `chat_actor`: the
    person who acted, as the stack's own chat pack verified them (issue 27: kept, it is the stack)."""
    pack = found(adapters.packs_table.touch(pack_id, times.now()), f"No pack {pack_id!r} is registered.")
    actor = with_chat_actor(caller(function).record(), chat_actor, True, "")
    event = new_event(name, pack.id, pack.name, pack.labels, payload, actor=actor)
    if once is not None:
        event = replace(event, id=ids.derived_id(once[0], pack.id, name, once[1]))
    if not written(lambda: adapters.events_table.put(event)):
        logger.info("event sent again: stored once", extra={"eventId": event.id, "event": name, "packId": pack.id})
        return False
    logger.info("event received", extra={"eventId": event.id, "event": name, "packId": pack.id})
    return True
