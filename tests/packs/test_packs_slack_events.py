"""Slack pack events: Slack -> Socket Mode -> the pack -> Flyte events, against a fake Slack
(Web API + WebSocket on a loopback port) and the fake Flyte API of tests/packs/conftest.py."""

from __future__ import annotations

import logging
import time

import pytest

from flyte_slack_pack import (
    SlackGateway,
    SlackPack,
    SlackSettings,
    is_person_message,
    reaction_added,
    received_message,
    web_client,
)
from flyte_slack_pack.events import RecentEvents
from flyte_slack_pack.slack import SlackError
from tests.packs.conftest import stop_packs
from tests.packs.fake_slack import BOT_ID, BOT_USER, FakeSlack, fake_slack, slack_user  # noqa: F401 (fixture)

ANA = slack_user("U42", "ana", "ana@example.com", "Engineer", "Ana", "B")


def settings(slack: FakeSlack, **overrides) -> SlackSettings:
    values = {"bot_token": "xoxb-test", "app_token": "xapp-test", "api_url": slack.api_url, "rate_limit_retries": 1, **overrides}
    return SlackSettings(**values)


@pytest.fixture
def slack_pack(fake_api, fake_slack, fast):
    """The Slack pack connected to the fake Slack and registered at the fake Flyte API."""
    fake_slack.users["U42"] = ANA
    pack = SlackPack(settings(fake_slack), api_url=fake_api.url, **fast)
    pack.start()
    assert pack.pack.wait_registered(10)
    assert fake_slack.wait_connected()
    yield pack
    stop_packs([pack], [fake_api])


def message(text: str, ts: str = "1700000000.000200", **fields) -> dict:
    return {
        "type": "message",
        "channel": "C0123",
        "user": "U42",
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
        **fields,
    }


def events_named(api, name: str) -> list[dict]:
    return [body["payload"] for _, body in api.events if body["event"] == name]


def test_a_message_becomes_received_message_with_the_users_details(slack_pack, fake_api, fake_slack):
    envelope = fake_slack.push_event(message("flyte uk-bank-holidays"))
    assert fake_slack.wait_ack(envelope)
    assert fake_api.wait_for(lambda: events_named(fake_api, "ReceivedMessage"))
    (payload,) = events_named(fake_api, "ReceivedMessage")
    assert payload == {
        "channelId": "C0123",
        "user": {
            "id": "U42",
            "name": "ana",
            "email": "ana@example.com",
            "title": "Engineer",
            "firstName": "Ana",
            "lastName": "B",
        },
        "message": "flyte uk-bank-holidays",
        "timestamp": "1700000000.000200",
        "threadTimestamp": "1700000000.000200",  # no thread yet: the message's own ts
        "replyCount": 0,
        "replies": [],
    }


def test_a_reply_in_a_thread_carries_the_threads_ts_and_users_are_looked_up_once(slack_pack, fake_api, fake_slack):
    fake_slack.push_event(message("first"))
    fake_slack.push_event(message("in thread", ts="1700000000.000300", thread_ts="1700000000.000100"))
    assert fake_api.wait_for(lambda: len(events_named(fake_api, "ReceivedMessage")) == 2)
    by_text = {p["message"]: p for p in events_named(fake_api, "ReceivedMessage")}
    assert by_text["in thread"]["threadTimestamp"] == "1700000000.000100"
    assert by_text["in thread"]["timestamp"] == "1700000000.000300"
    assert by_text["first"]["user"] == by_text["in thread"]["user"]
    assert len(fake_slack.calls_of("users.info")) == 1  # cached


def test_a_reaction_becomes_reaction_added(slack_pack, fake_api, fake_slack):
    fake_slack.users["U7"] = slack_user("U7", "bo", "bo@example.com", "", "Bo", "C")
    fake_slack.push_event(
        {
            "type": "reaction_added",
            "user": "U7",
            "reaction": "thumbsup",
            "item_user": "U42",
            "item": {"type": "message", "channel": "C0123", "ts": "1700000000.000200"},
            "event_ts": "1700000001.000100",
        }
    )
    assert fake_api.wait_for(lambda: events_named(fake_api, "ReactionAdded"))
    (payload,) = events_named(fake_api, "ReactionAdded")
    assert payload == {
        "type": "reaction_added",
        "user": {"id": "U7", "name": "bo", "email": "bo@example.com", "title": "", "firstName": "Bo", "lastName": "C"},
        "itemUser": {
            "id": "U42",
            "name": "ana",
            "email": "ana@example.com",
            "title": "Engineer",
            "firstName": "Ana",
            "lastName": "B",
        },
        "item": {"type": "message", "timestamp": "1700000000.000200", "channel": "C0123"},
        "reaction": "thumbsup",
        "eventTimestamp": "1700000001.000100",
    }


def test_bots_edits_and_the_packs_own_messages_send_no_event(slack_pack, fake_api, fake_slack):
    ignored = [
        message("my own reply", user=BOT_USER, bot_id=BOT_ID),  # the pack itself
        message("another app", user="U99", bot_id="B99"),  # another bot
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B98",
            "text": "legacy bot",
            "channel": "C0123",
            "ts": "1700000000.000400",
        },
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": "C0123",
            "ts": "1700000000.000500",
            "message": {"type": "message", "user": "U42", "text": "flyte edited", "ts": "1700000000.000200"},
        },
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": "C0123",
            "ts": "1700000000.000600",
            "previous_message": {"user": "U42", "text": "gone"},
        },
        message("joined", subtype="channel_join"),
    ]
    envelopes = [fake_slack.push_event(event) for event in ignored]
    envelopes.append(fake_slack.push_event(message("a person")))
    assert all(fake_slack.wait_ack(e) for e in envelopes)  # every envelope is acknowledged
    assert fake_api.wait_for(lambda: events_named(fake_api, "ReceivedMessage"))
    assert [p["message"] for p in events_named(fake_api, "ReceivedMessage")] == ["a person"]


def test_an_event_slack_delivers_again_is_sent_once(slack_pack, fake_api, fake_slack):
    fake_slack.push_event(message("flyte deploy"), event_id="Ev1")
    redelivered = fake_slack.push_event(message("flyte deploy"), retry_attempt=1, event_id="Ev1")
    fake_slack.push_event(message("flyte status", ts="1700000000.000900"), event_id="Ev2")
    assert fake_slack.wait_ack(redelivered)  # acknowledged, so Slack stops redelivering
    assert fake_api.wait_for(lambda: len(events_named(fake_api, "ReceivedMessage")) >= 2)
    time.sleep(0.5)  # a duplicate would have been sent by now
    assert sorted(p["message"] for p in events_named(fake_api, "ReceivedMessage")) == ["flyte deploy", "flyte status"]


def test_an_unknown_user_still_sends_the_event_with_the_id(slack_pack, fake_api, fake_slack, caplog):
    with caplog.at_level(logging.WARNING, logger="flyte_slack_pack"):
        fake_slack.push_event(message("hello", user="UGHOST"))
        assert fake_api.wait_for(lambda: events_named(fake_api, "ReceivedMessage"))
    assert events_named(fake_api, "ReceivedMessage")[0]["user"] == {
        "id": "UGHOST",
        "name": "",
        "email": "",
        "title": "",
        "firstName": "",
        "lastName": "",
    }
    assert "user_not_found" in caplog.text


def test_the_pack_registers_its_events_and_every_command(slack_pack, fake_api):
    (registration,) = fake_api.registrations
    assert registration["name"] == "Slack"
    assert {e["name"] for e in registration["events"]} == {
        "ReceivedMessage",
        "ReactionAdded",
        "ReceivedInteraction",
        "MessageSent",
        "SendMessageFailed",
        "RichMessageSent",
        "SendRichMessageFailed",
        "GetChannelInfoSuccess",
        "GetChannelInfoFail",
    }
    assert {c["name"]: c["events"] for c in registration["commands"]} == {
        "SendMessage": ["MessageSent", "SendMessageFailed"],
        "SendRichMessage": ["RichMessageSent", "SendRichMessageFailed"],
        "GetChannelInfo": ["GetChannelInfoSuccess", "GetChannelInfoFail"],
    }


# -- the translation rules alone ---------------------------------------------------------------


def no_lookup(user_id):
    return {"id": user_id or ""}


@pytest.mark.parametrize(
    "event, forwarded",
    [
        ({"user": "U1", "text": "x"}, True),
        ({"user": "U1", "subtype": "thread_broadcast"}, True),
        ({"user": "U1", "subtype": "file_share"}, True),
        ({"user": "U1", "subtype": "me_message"}, True),
        ({"user": "U1", "bot_id": "B1"}, False),
        ({"subtype": "bot_message", "bot_id": "B1"}, False),
        ({"subtype": "message_changed"}, False),
        ({"user": "U1", "subtype": "channel_join"}, False),
        ({"text": "no author"}, False),
    ],
)
def test_which_messages_are_a_persons(event, forwarded):
    assert is_person_message(event) is forwarded


def test_thread_timestamp_is_never_empty():
    assert received_message({"ts": "1.2"}, no_lookup)["threadTimestamp"] == "1.2"
    assert received_message({"ts": "1.2", "thread_ts": "1.1"}, no_lookup)["threadTimestamp"] == "1.1"


def test_a_reaction_on_an_item_without_author_has_an_empty_item_user():
    payload = reaction_added(
        {"type": "reaction_added", "user": "U1", "reaction": "eyes", "item": {"type": "file", "file": "F1"}, "event_ts": "2.0"},
        no_lookup,
    )
    assert payload["itemUser"] == {"id": ""}
    assert payload["item"] == {"type": "file", "timestamp": "", "channel": ""}


def test_recent_events_forget_the_oldest_beyond_their_size():
    recent = RecentEvents(size=2)
    assert [recent.first_time(i) for i in ("a", "b", "a", "c", "a", None, None)] == [True, True, False, True, True, True, True]


# -- the caches of the Slack side ----------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def gateway(fake_slack, clock):
    fake_slack.users["U42"] = ANA
    fake_slack.add_channel("C1", "general")
    return SlackGateway(web_client(settings(fake_slack)), renew_conversations_seconds=24 * 3600, clock=clock)


def test_users_are_looked_up_again_after_an_hour(gateway, clock, fake_slack):
    gateway.user("U42")
    clock.now += 3599
    gateway.user("U42")
    assert len(fake_slack.calls_of("users.info")) == 1
    fake_slack.users["U42"] = slack_user("U42", "ana", "ana@example.com", "Director", "Ana", "B")
    clock.now += 2
    assert gateway.user("U42")["title"] == "Director"
    assert len(fake_slack.calls_of("users.info")) == 2


def test_channel_list_is_renewed_as_configured_and_for_a_new_name_at_most_once_a_minute(gateway, clock, fake_slack):
    assert gateway.find_channel("general").id == "C1"
    fake_slack.add_channel("C2", "created-since")
    clock.now += 30
    with pytest.raises(SlackError, match="can't find channel with such name"):
        gateway.find_channel("created-since")  # the list is less than a minute old
    assert len(fake_slack.calls_of("conversations.list")) == 1
    clock.now += 31
    assert gateway.find_channel("created-since").id == "C2"
    assert len(fake_slack.calls_of("conversations.list")) == 2
    clock.now += 3600
    gateway.find_channel("general")  # known: served from the list until it is 24 h old
    assert len(fake_slack.calls_of("conversations.list")) == 2
    clock.now += 24 * 3600
    gateway.find_channel("general")
    assert len(fake_slack.calls_of("conversations.list")) == 3


def test_a_failed_renewal_keeps_serving_the_cached_channels(gateway, clock, fake_slack):
    gateway.find_channel("general")
    clock.now += 25 * 3600
    fake_slack.script("conversations.list", 200, {"ok": False, "error": "internal_error"})
    assert gateway.find_channel("general").id == "C1"


def test_a_button_clicked_becomes_received_interaction(slack_pack, fake_api, fake_slack):
    """Interactivity (issue 20), the same listener as the Events API mode's: acknowledged, then sent."""
    envelope = fake_slack.push_interaction(
        {
            "type": "block_actions",
            "user": {"id": "U42"},
            "channel": {"id": "C0123"},
            "message": {"ts": "1700000003.000100", "thread_ts": "1700000001.000100"},
            "actions": [{"action_id": "env", "block_id": "b", "selected_option": {"value": "prod"}, "action_ts": "1.2"}],
        }
    )
    assert fake_slack.wait_ack(envelope)
    assert fake_api.wait_for(lambda: events_named(fake_api, "ReceivedInteraction"))
    (payload,) = events_named(fake_api, "ReceivedInteraction")
    assert payload["value"] == "prod" and payload["threadTimestamp"] == "1700000001.000100"
    assert payload["user"]["name"] == "ana"


def test_the_pack_says_who_acted_beside_the_payload(slack_pack, fake_api, fake_slack):
    """Issue 27: the chat user id and the Slack profile's (verified) email go with each event, as
    `chatActor`, which the API keeps only from a token bound to this pack."""
    envelope = fake_slack.push_event(message("flyte restart api"))
    assert fake_slack.wait_ack(envelope)
    assert fake_api.wait_for(lambda: events_named(fake_api, "ReceivedMessage"))
    (body,) = [body for _, body in fake_api.events if body["event"] == "ReceivedMessage"]
    assert body["chatActor"] == {"user": "U42", "email": "ana@example.com"}
    envelope = fake_slack.push_interaction(
        {
            "type": "block_actions",
            "user": {"id": "U42"},
            "channel": {"id": "C0123"},
            "message": {"ts": "1.1"},
            "actions": [{"action_id": "flyte.approve", "value": "a1"}],
        }
    )
    assert fake_slack.wait_ack(envelope)
    assert fake_api.wait_for(lambda: events_named(fake_api, "ReceivedInteraction"))
    (clicked,) = [body for _, body in fake_api.events if body["event"] == "ReceivedInteraction"]
    assert clicked["chatActor"] == {"user": "U42", "email": "ana@example.com"}


def test_a_stop_does_not_wait_out_the_three_seconds_slack_sdk_reads_the_socket_for(fake_api, fake_slack, fast):
    """slack_sdk's close() waits for the reader's current read of the socket, up to 3 s when Slack is
    quiet: Ctrl-C on the pack took that long more than it needed. The pack ends the read itself."""
    fake_slack.users["U42"] = ANA
    pack = SlackPack(settings(fake_slack), api_url=fake_api.url, **fast)
    pack.start()
    assert pack.pack.wait_registered(10) and fake_slack.wait_connected()
    assert fake_slack.wait_ack(fake_slack.push_event(message("flyte uk-bank-holidays")))  # the reader reads on
    assert fake_api.wait_for(lambda: events_named(fake_api, "ReceivedMessage"))
    started = time.monotonic()
    assert pack.stop(timeout=15)
    took = time.monotonic() - started
    # the pack's own stop waits for its take in flight (at most poll_wait, 1 s here); before, 3 s more
    assert took < 3, f"stopping took {took:.1f} s"
