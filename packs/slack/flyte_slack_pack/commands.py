"""The original pack's commands: ``SendMessage``, ``SendRichMessage``, ``GetChannelInfo``.

Unlike the original, a message Slack refuses is reported: the failure events carry Slack's error
(``channel_not_found``, ``not_in_channel``, ``ratelimited`` once the retries after
``Retry-After`` are spent...). Input that is not the documented JSON shape ends the action
``FATAL``, as in the original.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import Any

from flyte_pack import Command, Event, Handler

from .slack import SlackError, SlackGateway

log = logging.getLogger("flyte_slack_pack")

MESSAGE_SENT = "MessageSent"
SEND_MESSAGE_FAILED = "SendMessageFailed"
RICH_MESSAGE_SENT = "RichMessageSent"
SEND_RICH_MESSAGE_FAILED = "SendRichMessageFailed"
GET_CHANNEL_INFO_SUCCESS = "GetChannelInfoSuccess"
GET_CHANNEL_INFO_FAIL = "GetChannelInfoFail"

# chat.postMessage fields SendRichMessage passes on, with their JSON types (the original's
# RichMessage, plus Block Kit ``blocks``). ``escape_text`` is applied here, as slack-go did.
RICH_MESSAGE_FIELDS: dict[str, tuple[type, ...]] = {
    "channel": (str,),
    "text": (str,),
    "username": (str,),
    "parse": (str,),
    "thread_ts": (str,),
    "reply_broadcast": (bool,),
    "link_names": (int, bool),
    "attachments": (list,),
    "blocks": (list,),
    "unfurl_links": (bool,),
    "unfurl_media": (bool,),
    "icon_url": (str,),
    "icon_emoji": (str,),
    "mrkdwn": (bool,),
    "escape_text": (bool,),
}


class InvalidInput(ValueError):
    """The action's input is not the command's JSON shape."""


def _json_type(value: Any) -> str:
    for types, name in (
        ((bool,), "boolean"),
        ((int, float), "number"),
        ((str,), "string"),
        ((list,), "array"),
        ((dict,), "object"),
    ):
        if isinstance(value, types):
            return name
    return "null"


def _object(input: Any) -> Mapping[str, Any]:
    """The input as an object; JSON ``null`` is an empty object (as Go decodes it)."""
    if input is None:
        return {}
    if not isinstance(input, dict):
        raise InvalidInput(f"input is not valid: expected a JSON object, got {_json_type(input)}")
    return input


def _field(input: Mapping[str, Any], name: str, types: tuple[type, ...] = (str,)) -> Any:
    value = input.get(name)
    if value is None:
        return None
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise InvalidInput(f"input is not valid: {name} must be a {_json_type(types[0]())}, got {_json_type(value)}")
    return value


def _escape(text: str) -> str:
    """Slack's escaping of the three control characters, for ``escape_text``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fatal_on_invalid(handler: Handler) -> Handler:
    """Input of the wrong shape ends the action FATAL, as the original's decoding error did."""

    @functools.wraps(handler)
    def run(input: Any) -> Event:
        try:
            return handler(input)
        except InvalidInput as exc:
            log.warning("%s", exc)
            return Event.fatal(str(exc))

    return run


def commands(slack: SlackGateway) -> list[Command]:
    """The pack's commands over ``slack``."""

    @_fatal_on_invalid
    def send_message(input: Any) -> Event:
        fields = _object(input)
        message = _field(fields, "message") or ""
        channel = _field(fields, "channelId") or ""
        thread = _field(fields, "threadTimestamp") or ""
        sent = {"message": message, "threadTimestamp": thread, "channelId": channel}
        missing = [
            text for value, text in ((message, "missing message field"), (channel, "missing channel id field")) if not value
        ]
        if missing:
            return Event(SEND_MESSAGE_FAILED, {**sent, "error": ", ".join(missing)})
        post: dict[str, Any] = {"channel": channel, "text": message}
        if thread:
            post["thread_ts"] = thread
        try:
            _, ts = slack.post_message(**post)
        except SlackError as exc:
            log.warning("SendMessage to %s failed: %s", channel, exc.code)
            return Event(SEND_MESSAGE_FAILED, {**sent, "error": exc.code})
        log.info("message sent to channel %s (thread %s)", channel, thread or "none")
        return Event(MESSAGE_SENT, {**sent, "timestamp": ts})

    @_fatal_on_invalid
    def send_rich_message(input: Any) -> Event:
        fields = _object(input)
        post = {name: value for name, types in RICH_MESSAGE_FIELDS.items() if (value := _field(fields, name, types)) is not None}
        if post.pop("escape_text", False) and "text" in post:
            post["text"] = _escape(post["text"])
        post.setdefault("channel", "")
        try:
            channel, ts = slack.post_message(**post)
        except SlackError as exc:
            log.warning("SendRichMessage to %s failed: %s", post["channel"], exc.code)
            return Event(SEND_RICH_MESSAGE_FAILED, {"inputMessage": dict(fields), "error": exc.code})
        log.info("rich message sent to channel %s", channel)
        return Event(RICH_MESSAGE_SENT, {"channelId": channel, "threadTimestamp": ts})

    def get_channel_info(input: Any) -> Event:
        try:
            name = _field(_object(input), "channelName") or ""
        except InvalidInput as exc:  # the original answered bad input with the fail event
            return Event(GET_CHANNEL_INFO_FAIL, {"channelName": "", "reason": str(exc)})
        try:
            conversation = slack.find_channel(name)
        except SlackError as exc:
            return Event(GET_CHANNEL_INFO_FAIL, {"channelName": name, "reason": exc.code})
        return Event(GET_CHANNEL_INFO_SUCCESS, {"channelName": name, "conversation": conversation.payload()})

    return [
        Command("SendMessage", handler=send_message, output_events=[MESSAGE_SENT, SEND_MESSAGE_FAILED]),
        Command("SendRichMessage", handler=send_rich_message, output_events=[RICH_MESSAGE_SENT, SEND_RICH_MESSAGE_FAILED]),
        Command("GetChannelInfo", handler=get_channel_info, output_events=[GET_CHANNEL_INFO_SUCCESS, GET_CHANNEL_INFO_FAIL]),
    ]
