"""The quick start end to end with this Slack pack: a message `flyte uk-bank-holidays` arrives over
Socket Mode, the flow runs the Shell pack, and the reply lands in the message's thread in Slack.

Everything runs as a user runs it: the local stack, the Shell pack and the Slack pack as programs
(`python -m flyte_slack_pack`, pointed at the fake Slack with FLYTE_SLACK_API_URL), the seed's flow
posted with curl. The flow, Shell pack and gov.uk stand-in are the ones of tests/e2e/test_quick_start.py.
"""

from __future__ import annotations

import os
import time

import pytest
import requests

from tests.e2e.pack_programs import start_pack_program, stop_pack_program
from tests.e2e.test_quick_start import EXPECTED_LIST, flow_posted, shell_pack  # noqa: F401 (fixtures)
from tests.packs.fake_slack import FakeSlack, fake_slack, slack_user  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e
REPLY = "Hey <@U42>!\nPlease find below the UK bank holidays for the current year:\n\n" + EXPECTED_LIST


@pytest.fixture
def slack_pack(stack, fake_slack: FakeSlack):
    """`FLYTE_API=... FLYTE_SLACK_TOKEN=xoxb-... FLYTE_SLACK_APP_TOKEN=xapp-... flyte-slack-pack`."""
    fake_slack.add_channel("C0123", "general")
    fake_slack.users["U42"] = slack_user("U42", "ana", "ana@example.com", "Engineer", "Ana", "B")
    env = {
        **os.environ,
        "FLYTE_API": stack.url,
        "FLYTE_SLACK_TOKEN": "xoxb-e2e",
        "FLYTE_SLACK_APP_TOKEN": "xapp-e2e",
        "FLYTE_SLACK_API_URL": fake_slack.api_url,
        "FLYTE_PACK_POLL_WAIT": "1",
        "LOGLEVEL": "info",
    }
    process = start_pack_program(stack.url, "flyte_slack_pack", "Slack", env)
    assert fake_slack.wait_connected(), "no Socket Mode connection"
    yield process
    assert "could not send event" not in stop_pack_program(process, timeout=30)


def test_quick_start_replies_in_the_messages_thread(stack, flow_posted, shell_pack, slack_pack, fake_slack):
    envelope = fake_slack.push_event(
        {"type": "message", "channel": "C0123", "user": "U42", "text": "flyte uk-bank-holidays", "ts": "1700000000.000200"}
    )
    assert fake_slack.wait_ack(envelope)
    assert fake_slack.wait_for(lambda: fake_slack.posted, timeout=120), "no reply in Slack"
    # a new message starts a thread: the reply goes under it
    assert fake_slack.posted == [{"channel": "C0123", "text": REPLY, "thread_ts": "1700000000.000200"}]

    fake_slack.push_event(
        {
            "type": "message",
            "channel": "C0123",
            "user": "U42",
            "text": "flyte uk-bank-holidays",
            "ts": "1700000000.000400",
            "thread_ts": "1700000000.000300",
        }
    )
    assert fake_slack.wait_for(lambda: len(fake_slack.posted) == 2, timeout=120)
    # asked inside a thread: the reply stays in that thread
    assert fake_slack.posted[1] == {"channel": "C0123", "text": REPLY, "thread_ts": "1700000000.000300"}

    def replies() -> list[dict]:  # the SendMessage actions, once the pack has posted their results
        executions = requests.get(f"{stack.url}/v1/audit/flows", params={"flowName": "next_uk_bank_holidays"}).json()["flows"]
        actions = [e["actions"].get("send_bank_holiday_response") for e in executions]
        return [a for a in actions if a and "result" in a]  # the audit shows no result until then

    deadline = time.monotonic() + 30
    while len(replies()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    outcomes = sorted((r["state"]["value"], r["result"]["event"], r["result"]["payload"]["threadTimestamp"]) for r in replies())
    assert outcomes == [("SUCCESS", "MessageSent", "1700000000.000200"), ("SUCCESS", "MessageSent", "1700000000.000300")]
