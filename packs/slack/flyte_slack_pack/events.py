"""Slack events -> the original pack's Flyte events (``ReceivedMessage``, ``ReactionAdded``).

Pure functions over the Events API ``event`` objects; user lookups are passed in.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

RECEIVED_MESSAGE = "ReceivedMessage"
REACTION_ADDED = "ReactionAdded"
RECEIVED_INTERACTION = "ReceivedInteraction"  # a button or menu of a message was used (issue 20)

# Message subtypes a person produces by writing; every other subtype (edits, deletions, joins,
# bot messages, ...) is not a message someone typed to the pack.
PERSON_MESSAGE_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})

UserLookup = Callable[[str | None], dict[str, str]]
RECENT_EVENT_IDS = 1000


class RecentEvents:
    """The ids of the events seen lately. Slack delivers an event again when it missed the
    acknowledgement; a chat-ops command must not run twice for that."""

    def __init__(self, size: int = RECENT_EVENT_IDS) -> None:
        self._order: deque[str] = deque()
        self._ids: set[str] = set()
        self._size = size
        self._lock = threading.Lock()

    def first_time(self, event_id: str | None) -> bool:
        """Whether ``event_id`` is new (an event without id always is); remembers it."""
        if not event_id:
            return True
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids.add(event_id)
            self._order.append(event_id)
            if len(self._order) > self._size:
                self._ids.discard(self._order.popleft())
            return True


def is_person_message(event: Mapping[str, Any]) -> bool:
    """Whether a ``message`` event is a person's new message: not an edit or deletion (subtype),
    not from a bot or app (``bot_id``), and with an author."""
    return event.get("subtype") in PERSON_MESSAGE_SUBTYPES and not event.get("bot_id") and bool(event.get("user"))


def received_message(event: Mapping[str, Any], user: UserLookup) -> dict[str, Any]:
    """The ``ReceivedMessage`` payload; ``threadTimestamp`` is the thread's ts, or the message's
    own ts when it starts no thread yet (never empty), so replies can always go in a thread."""
    ts = event.get("ts") or ""
    return {
        "channelId": event.get("channel") or "",
        "user": user(event.get("user")),
        "message": event.get("text") or "",
        "timestamp": ts,
        "threadTimestamp": event.get("thread_ts") or ts,
        "replyCount": event.get("reply_count") or 0,
        "replies": list(event.get("replies") or []),
    }


def reaction_added(event: Mapping[str, Any], user: UserLookup) -> dict[str, Any]:
    """The ``ReactionAdded`` payload. ``itemUser`` has empty fields when the item has no author
    Slack tells of (e.g. a message posted by an app)."""
    item = event.get("item") or {}
    return {
        "type": event.get("type") or "reaction_added",
        "user": user(event.get("user")),
        "itemUser": user(event.get("item_user")),
        "item": {"type": item.get("type") or "", "timestamp": item.get("ts") or "", "channel": item.get("channel") or ""},
        "reaction": event.get("reaction") or "",
        "eventTimestamp": event.get("event_ts") or "",
    }


def received_interaction(body: Mapping[str, Any], user: UserLookup) -> dict[str, Any]:
    """The ``ReceivedInteraction`` payload of a ``block_actions`` request (a button clicked, an option
    chosen in a message the pack sent with ``SendRichMessage``'s ``blocks``): which action, its value,
    who, and where - so a flow can answer in the message's thread."""
    action = (body.get("actions") or [{}])[0] or {}
    message = body.get("message") or {}
    selected = action.get("selected_option") or {}
    ts = message.get("ts") or ""
    return {
        "type": body.get("type") or "block_actions",
        "actionId": action.get("action_id") or "",
        "blockId": action.get("block_id") or "",
        "value": action.get("value") or selected.get("value") or "",
        "user": user((body.get("user") or {}).get("id")),
        "channelId": (body.get("channel") or {}).get("id") or "",
        "messageTimestamp": ts,
        "threadTimestamp": message.get("thread_ts") or ts,
        "actionTimestamp": action.get("action_ts") or "",
    }
