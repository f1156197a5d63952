"""Slack pack commands: Flyte actions -> the pack -> the fake Slack Web API -> result events,
including Slack's refusals and its rate limits."""

from __future__ import annotations

import pytest

from flyte_pack import ConfigError
from flyte_slack_pack import SlackPack, SlackSettings
from tests.packs.fake_slack import FakeSlack, fake_slack  # noqa: F401 (fixture)

CHANNEL = "C0123"


def settings(slack: FakeSlack, **overrides) -> SlackSettings:
    values = {"bot_token": "xoxb-test", "app_token": "xapp-test", "api_url": slack.api_url, "rate_limit_retries": 1, **overrides}
    return SlackSettings(**values)


@pytest.fixture
def slack(fake_slack):
    fake_slack.add_channel(CHANNEL, "general", topic="Company-wide")
    fake_slack.add_channel("C0999", "random", member=False)
    return fake_slack


@pytest.fixture
def run_command(fake_api, slack, run_pack, fast):
    """Run one action of the Slack pack's commands; returns the result event."""
    pack = SlackPack(settings(slack), api_url=fake_api.url, **fast)
    run_pack(pack.pack)

    def run(command: str, input) -> dict:
        return fake_api.result_of(fake_api.enqueue(command, input), timeout=15)

    return run


def test_send_message_posts_in_the_thread(run_command, slack):
    result = run_command("SendMessage", {"channelId": CHANNEL, "message": "Hey <@U42>!", "threadTimestamp": "1700000000.000100"})
    assert result["event"] == "MessageSent"
    assert result["payload"] == {
        "message": "Hey <@U42>!",
        "threadTimestamp": "1700000000.000100",
        "channelId": CHANNEL,
        "timestamp": "1800000000.000001",
    }
    assert slack.posted == [{"channel": CHANNEL, "text": "Hey <@U42>!", "thread_ts": "1700000000.000100"}]
    assert slack.calls_of("chat.postMessage")[0].token == "xoxb-test"


def test_send_message_without_thread_posts_in_the_channel(run_command, slack):
    assert run_command("SendMessage", {"channelId": CHANNEL, "message": "hi"})["event"] == "MessageSent"
    assert slack.posted == [{"channel": CHANNEL, "text": "hi"}]


@pytest.mark.parametrize(
    "input, error",
    [
        ({"channelId": CHANNEL}, "missing message field"),
        ({"message": "hi"}, "missing channel id field"),
        (None, "missing message field, missing channel id field"),
    ],
)
def test_send_message_missing_fields_fail_as_in_the_original(run_command, slack, input, error):
    result = run_command("SendMessage", input)
    assert result["event"] == "SendMessageFailed"
    assert result["payload"]["error"] == error
    assert slack.posted == []


@pytest.mark.parametrize("channel, error", [("CNOPE", "channel_not_found"), ("C0999", "not_in_channel")])
def test_send_message_reports_slacks_error(run_command, channel, error):
    result = run_command("SendMessage", {"channelId": channel, "message": "hi", "threadTimestamp": "1.1"})
    assert result == {
        "event": "SendMessageFailed",
        "payload": {"message": "hi", "threadTimestamp": "1.1", "channelId": channel, "error": error},
        "createdAt": result["createdAt"],
    }


@pytest.mark.parametrize("input", ["just a string", ["a"], {"message": 5, "channelId": CHANNEL}])
def test_send_message_undecodable_input_is_fatal(run_command, input):
    result = run_command("SendMessage", input)
    assert result["event"] == "FATAL"
    assert result["payload"].startswith("input is not valid")


def test_rate_limited_call_is_retried_after_retry_after(run_command, slack):
    slack.script("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    result = run_command("SendMessage", {"channelId": CHANNEL, "message": "patience"})
    assert result["event"] == "MessageSent"
    first, second = slack.calls_of("chat.postMessage")
    assert second.at - first.at >= 1.0  # waited the Retry-After Slack asked for
    assert slack.posted == [{"channel": CHANNEL, "text": "patience"}]


def test_rate_limit_beyond_the_retries_is_reported(run_command, slack):
    for _ in range(2):  # the first call and its one retry
        slack.script("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})
    result = run_command("SendMessage", {"channelId": CHANNEL, "message": "too fast"})
    assert result["event"] == "SendMessageFailed"
    assert result["payload"]["error"] == "ratelimited"


def test_send_rich_message_passes_blocks_and_attachments(run_command, slack):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Deploy* done"}}]
    attachments = [{"color": "good", "text": "all green", "fields": [{"title": "env", "value": "prod"}]}]
    result = run_command(
        "SendRichMessage",
        {
            "channel": CHANNEL,
            "text": "Deploy done",
            "blocks": blocks,
            "attachments": attachments,
            "thread_ts": "1700000000.000100",
            "username": "deployer",
            "icon_emoji": ":rocket:",
            "unfurl_links": False,
            "link_names": 1,
        },
    )
    assert result["event"] == "RichMessageSent"
    assert result["payload"] == {"channelId": CHANNEL, "threadTimestamp": "1800000000.000001"}
    assert slack.posted == [
        {
            "channel": CHANNEL,
            "text": "Deploy done",
            "blocks": blocks,
            "attachments": attachments,
            "thread_ts": "1700000000.000100",
            "username": "deployer",
            "icon_emoji": ":rocket:",
            "unfurl_links": False,
            "link_names": 1,
        }
    ]


def test_send_rich_message_escape_text_escapes_control_characters(run_command, slack):
    run_command("SendRichMessage", {"channel": CHANNEL, "text": "a < b & c > d", "escape_text": True})
    assert slack.posted[0]["text"] == "a &lt; b &amp; c &gt; d"
    assert "escape_text" not in slack.posted[0]


def test_send_rich_message_failure_echoes_the_input_with_slacks_error(run_command, slack):
    input = {"channel": "C0999", "text": "hi", "attachments": [{"text": "x"}]}
    result = run_command("SendRichMessage", input)
    assert result["event"] == "SendRichMessageFailed"
    assert result["payload"] == {"inputMessage": input, "error": "not_in_channel"}


@pytest.mark.parametrize("input", ["text", {"channel": CHANNEL, "attachments": "not a list"}])
def test_send_rich_message_undecodable_input_is_fatal(run_command, input):
    result = run_command("SendRichMessage", input)
    assert result["event"] == "FATAL" and "input is not valid" in result["payload"]


def test_get_channel_info_finds_a_channel_by_name_through_every_page(run_command, slack):
    for n in range(1, 1100):  # more than one page of 1000
        slack.add_channel(f"CX{n:04d}", f"team-{n}")
    result = run_command("GetChannelInfo", {"channelName": "team-1099"})
    assert result["event"] == "GetChannelInfoSuccess"
    assert result["payload"] == {"channelName": "team-1099", "conversation": {"id": "CX1099", "name": "team-1099", "topic": ""}}
    assert len(slack.calls_of("conversations.list")) == 2
    general = run_command("GetChannelInfo", {"channelName": "general"})
    assert general["payload"]["conversation"] == {"id": CHANNEL, "name": "general", "topic": "Company-wide"}
    assert len(slack.calls_of("conversations.list")) == 2  # from the cache


def test_get_channel_info_unknown_channel_fails_with_the_originals_reason(run_command):
    result = run_command("GetChannelInfo", {"channelName": "nope"})
    assert result["event"] == "GetChannelInfoFail"
    assert result["payload"] == {"channelName": "nope", "reason": "can't find channel with such name"}


def test_get_channel_info_reports_slacks_error(run_command, slack):
    slack.script("conversations.list", 200, {"ok": False, "error": "missing_scope", "needed": "channels:read"})
    result = run_command("GetChannelInfo", {"channelName": "general"})
    assert result["payload"] == {"channelName": "general", "reason": "missing_scope"}


def test_get_channel_info_bad_input_fails_rather_than_fatal(run_command):
    result = run_command("GetChannelInfo", "general")
    assert result["event"] == "GetChannelInfoFail"
    assert result["payload"]["channelName"] == ""


# -- configuration -----------------------------------------------------------------------------


def test_pack_name_labels_and_jwt_are_honoured(fake_api_factory, slack, run_pack, fast):
    api = fake_api_factory(jwt="s3cret")
    env = {
        "FLYTE_API": api.url,
        "FLYTE_LABELS": "env=dev, team = ops",
        "FLYTE_JWT": "s3cret",
        "PACK_NAME": "SlackOps",
        "FLYTE_SLACK_TOKEN": "xoxb-1",
        "FLYTE_SLACK_APP_TOKEN": "xapp-1",
        "FLYTE_SLACK_API_URL": slack.api_url.rstrip("/"),
    }
    pack = SlackPack(SlackSettings.from_env(env), env=env, **fast)
    run_pack(pack.pack)
    (registration,) = api.registrations
    assert registration["name"] == "SlackOps"
    assert registration["labels"] == {"env": "dev", "team": "ops"}
    assert slack.calls_of("auth.test")[0].token == "xoxb-1"


@pytest.mark.parametrize(
    "env, message",
    [
        ({}, "FLYTE_SLACK_TOKEN"),
        ({"FLYTE_SLACK_TOKEN": "xoxb-1"}, "FLYTE_SLACK_APP_TOKEN"),
        ({"FLYTE_SLACK_TOKEN": "xapp-1", "FLYTE_SLACK_APP_TOKEN": "xoxb-1"}, "swapped"),
        (
            {"FLYTE_SLACK_TOKEN": "xoxb-1", "FLYTE_SLACK_APP_TOKEN": "xapp-1", "RENEW_CONVERSATION_LIST": "soon"},
            "RENEW_CONVERSATION_LIST",
        ),
    ],
)
def test_bad_settings_are_refused(env, message):
    with pytest.raises(ConfigError, match=message):
        SlackSettings.from_env(env)


def test_settings_defaults():
    settings = SlackSettings.from_env({"FLYTE_SLACK_TOKEN": "xoxb-1", "FLYTE_SLACK_APP_TOKEN": "xapp-1"})
    assert (settings.pack_name, settings.renew_conversations_seconds, settings.api_url, settings.rate_limit_retries) == (
        "Slack",
        24 * 3600.0,
        "https://slack.com/api/",
        3,
    )
    assert "xoxb" not in repr(settings)  # tokens never logged
