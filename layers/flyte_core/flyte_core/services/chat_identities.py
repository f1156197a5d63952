"""Chat actors' claims from the admin's identities document (issue 27; domain/chat.py): the datastore
item `chat-identities`, read at most once per batch or request that needs it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..adapters import Adapters
from ..domain import chat
from ..domain.errors import InvalidInput
from ..domain.events import Event
from ..domain.execution import ClaimsOf
from ..observability import logger


def identities(adapters: Adapters) -> chat.Identities:
    """The document as stored; none (everyone a stranger) when it is missing or unreadable (logged:
    it is checked when stored, so this is a document written some other way)."""
    item = adapters.datastore_table.get(chat.IDENTITIES_KEY)
    if item is None:
        return chat.NO_IDENTITIES
    try:
        return chat.parse_identities(item.value)
    except InvalidInput as error:
        logger.error("the chat identities document cannot be read: nobody has chat claims", extra={"error": str(error)})
        return chat.NO_IDENTITIES


def claims_resolver(adapters: Adapters) -> ClaimsOf:
    """The claims of an event's chat actor (None: the event has none); the document is read once,
    when the first event asks."""
    loaded: list[chat.Identities] = []

    def claims_of(event: Event) -> Mapping[str, Any] | None:
        actor = chat.event_chat_actor(event.actor)
        if actor is None:
            return None
        if not loaded:
            loaded.append(identities(adapters))
        return loaded[0].claims_of(actor)

    return claims_of
