"""What the pack does with what Slack sends, one implementation for both ways Slack reaches it:
Socket Mode (the program, `SlackPack`) and the Events API (the Slack function in the stack,
`events_api`). Each listener turns a Slack event or interaction into the Flyte event the original
pack sends and hands it to `send` with the Slack envelope it came from (its `event_id` says whether
Slack delivered it before)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import App

from flyte_pack import Event, EventDef

from .events import (
    REACTION_ADDED,
    RECEIVED_INTERACTION,
    RECEIVED_MESSAGE,
    is_person_message,
    reaction_added,
    received_interaction,
    received_message,
)
from .slack import SlackGateway

log = logging.getLogger("flyte_slack_pack")

# The Flyte events the pack sends of its own accord (its commands' events come with the commands).
PACK_EVENTS = (EventDef(RECEIVED_MESSAGE), EventDef(REACTION_ADDED), EventDef(RECEIVED_INTERACTION))
EVERY_ACTION = re.compile(".*")

Send = Callable[[Event, Mapping[str, Any]], None]


def _by_person(name: str, payload: dict[str, Any]) -> Event:
    """The event with who did it (issue 27): the Slack user id Slack's signed request or socket named,
    and the email of their Slack profile (which Slack has verified), when the bot may read it."""
    user = payload.get("user") or {}
    actor = {"user": user.get("id") or "", **({"email": user["email"]} if user.get("email") else {})}
    return Event(name, payload, chat_actor=actor if actor["user"] else None)


def _acknowledge(ack: Callable[[], None]) -> None:
    ack()


class SlackListeners:
    def __init__(self, slack: SlackGateway, send: Send) -> None:
        self.slack = slack
        self.send = send

    def on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if not is_person_message(event):
            log.debug("ignoring message event (subtype %s, bot %s)", event.get("subtype"), event.get("bot_id"))
            return
        self.send(_by_person(RECEIVED_MESSAGE, received_message(event, self.slack.user)), body)

    def on_reaction_added(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        self.send(_by_person(REACTION_ADDED, reaction_added(event, self.slack.user)), body)

    def on_interaction(self, body: dict[str, Any]) -> None:
        self.send(_by_person(RECEIVED_INTERACTION, received_interaction(body, self.slack.user)), body)

    def _acknowledged_interaction(self, ack: Callable[[], None], body: dict[str, Any]) -> None:
        ack()
        self.on_interaction(body)

    def attach(self, app: App, lazy: bool = False) -> None:
        """Listen on a Bolt app. `lazy` (the Events API on Lambda): acknowledge at once, within
        Slack's 3 s, and do the work - user lookups, sending the Flyte event - in Bolt's lazy
        listeners, which run in an asynchronous invocation of the same function."""
        if lazy:
            app.event("message")(ack=_acknowledge, lazy=[self.on_message])
            app.event("reaction_added")(ack=_acknowledge, lazy=[self.on_reaction_added])
            app.action(EVERY_ACTION)(ack=_acknowledge, lazy=[self.on_interaction])
        else:  # Socket Mode: Bolt acknowledges each envelope at once and runs these in its executor
            app.event("message")(self.on_message)
            app.event("reaction_added")(self.on_reaction_added)
            app.action(EVERY_ACTION)(self._acknowledged_interaction)
