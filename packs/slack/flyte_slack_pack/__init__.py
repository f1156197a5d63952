"""The Flyte Slack pack (contract of ExpediaGroup/flyte-slack) on the flyte_pack SDK, over
Slack's Socket Mode."""

from .commands import commands
from .events import is_person_message, reaction_added, received_message
from .pack import SlackPack
from .settings import SlackSettings
from .slack import SlackError, SlackGateway, web_client

__all__ = [
    "SlackError",
    "SlackGateway",
    "SlackPack",
    "SlackSettings",
    "commands",
    "is_person_message",
    "reaction_added",
    "received_message",
    "web_client",
]
