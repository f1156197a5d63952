"""The Slack pack in the stack (issue 20): the local stack with SlackIntegration=true, a fake Slack
on a loopback port (its Web API for the pack, and signed Events API requests to the stack's
/slack/events as Slack sends them). Events arrive verified, acknowledged at once and sent to Flyte
after (Bolt's lazy listeners through the local Lambda API); the pack's commands reach it by push
delivery at /slack/actions; nothing of it polls."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
import requests

from flyte_local.stack import LocalStack
from tests.e2e.test_quick_start import EXPECTED_LIST, flow_posted, shell_pack  # noqa: F401 (fixtures)
from tests.packs.fake_slack import FakeSlack, event_callback, send_to_request_url, slack_signature, slack_user

pytestmark = pytest.mark.e2e
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-in-the-stack"


@pytest.fixture(scope="module")
def slack():
    fake = FakeSlack()
    fake.add_channel("C0123", "general")
    fake.users["U42"] = slack_user("U42", "ana", "ana@example.com", "Engineer", "Ana", "B")
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def stack(backend, slack):
    backend.reset()
    local = LocalStack(
        port=0,
        endpoint=backend.endpoint,
        parameter_overrides={"LogLevel": "WARNING", "SlackIntegration": "true", "SlackApiUrl": slack.api_url},
    ).start()
    yield local
    local.stop()


def events_url(stack) -> str:
    return f"{stack.url}/slack/events"


def message(text: str, ts: str, **fields) -> dict:
    return {"type": "message", "channel": "C0123", "user": "U42", "text": text, "ts": ts, "event_ts": ts, **fields}


def flyte_events(stack, name: str) -> list[dict]:
    listed = requests.get(f"{stack.url}/v1/audit/events", params={"packName": "Slack", "event": name}).json()["events"]
    return [requests.get(f"{stack.url}/v1/audit/events/{e['id']}").json() for e in listed]


def wait_for(condition, timeout: float = 30.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.1)


def test_without_its_credentials_the_function_answers_503_and_says_so(stack):
    answer = send_to_request_url(events_url(stack), event_callback(message("hi", "1.1"), "Ev0"), SIGNING_SECRET)
    assert answer.status_code == 503 and "credentials" in answer.json()["error"]


def store_credentials(backend, stack, challenge_id: str = "c") -> requests.Response:
    """The bot token and signing secret put in the stack's Slack secret, as the docs say; the function
    reads them at its next request: Slack's URL check, sent until it is no longer 503."""
    backend.client("secretsmanager").put_secret_value(
        SecretId="flyte-local-SlackCredentials", SecretString=json.dumps({"botToken": BOT_TOKEN, "signingSecret": SIGNING_SECRET})
    )
    challenge = json.dumps({"token": "t", "challenge": challenge_id, "type": "url_verification"})
    return wait_for(
        lambda: (r := send_to_request_url(events_url(stack), challenge, SIGNING_SECRET)).status_code != 503 and r,
        what="the credentials read",
    )


@pytest.fixture(scope="module")
def ready(stack, backend):
    answer = store_credentials(backend, stack, "c-123")
    assert answer.status_code == 200 and answer.json() == {"challenge": "c-123"}  # Slack's URL check
    return stack


def test_the_pack_registers_for_push_delivery_to_its_own_route(ready, stack):
    pack = requests.get(f"{stack.url}/v1/packs/Slack").json()
    assert pack["delivery"] == {"url": f"{stack.url}/slack/actions"}
    assert pack["registeredBy"] == {"iss": "urn:flyte:stack", "sub": "slack-function"}
    assert {c["name"] for c in pack["commands"]} == {"SendMessage", "SendRichMessage", "GetChannelInfo"}
    assert {e["name"] for e in pack["events"]} >= {"ReceivedMessage", "ReactionAdded", "ReceivedInteraction"}


@pytest.mark.parametrize(
    ("how", "send"),
    [
        ("a bad signature", lambda url, body: send_to_request_url(url, body, SIGNING_SECRET, signature="v0=" + "0" * 64)),
        ("another app's secret", lambda url, body: send_to_request_url(url, body, "another-app-signing-secret")),
        ("a stale timestamp", lambda url, body: send_to_request_url(url, body, SIGNING_SECRET, timestamp=time.time() - 6 * 60)),
    ],
)
def test_a_request_slack_did_not_sign_now_is_refused_and_forwards_nothing(ready, stack, how, send):
    text = f"forged: {how}"
    answer = send(events_url(stack), event_callback(message(text, "1700000001.000100"), f"EvForged{len(how)}"))
    assert answer.status_code == 401, how
    ok = send_to_request_url(
        events_url(stack), event_callback(message("a marker", f"1700000001.{len(how):06d}"), f"EvMark{len(how)}"), SIGNING_SECRET
    )
    assert ok.status_code == 200
    wait_for(
        lambda: [e for e in flyte_events(stack, "ReceivedMessage") if e["payload"]["timestamp"] == f"1700000001.{len(how):06d}"]
    )
    assert not [e for e in flyte_events(stack, "ReceivedMessage") if e["payload"]["message"] == text]


def test_a_message_is_acknowledged_at_once_and_sent_to_flyte_once_even_when_slack_retries(ready, stack):
    body = event_callback(message("flyte hello", "1700000002.000100"), "EvRetried", event_time=int(time.time()))
    started = time.monotonic()
    first = send_to_request_url(events_url(stack), body, SIGNING_SECRET)
    assert first.status_code == 200 and time.monotonic() - started < 3  # Slack's limit
    again = send_to_request_url(events_url(stack), body, SIGNING_SECRET, retry=1)  # Slack thought it timed out
    assert again.status_code == 200
    (event,) = wait_for(lambda: [e for e in flyte_events(stack, "ReceivedMessage") if e["payload"]["message"] == "flyte hello"])
    assert event["payload"]["user"]["email"] == "ana@example.com"  # users.info, after the acknowledgement
    assert event["payload"]["threadTimestamp"] == "1700000002.000100"
    third = send_to_request_url(events_url(stack), body, SIGNING_SECRET, retry=2)
    assert third.status_code == 200
    wait_for(lambda: len([e for e in flyte_events(stack, "ReceivedMessage") if e["payload"]["message"] == "flyte hello"]) == 1)


def test_an_interaction_becomes_received_interaction(ready, stack):
    payload = {
        "type": "block_actions",
        "user": {"id": "U42"},
        "channel": {"id": "C0123"},
        "message": {"ts": "1700000003.000100", "text": "Deploy?"},
        "actions": [
            {"action_id": "approve", "block_id": "b1", "value": "deploy-42", "type": "button", "action_ts": "1700000004.1"}
        ],
        "trigger_id": "t1",
        "team": {"id": "T1"},
        "api_app_id": "A1",
    }
    body = urlencode({"payload": json.dumps(payload)})
    answer = send_to_request_url(events_url(stack), body, SIGNING_SECRET, content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200
    (event,) = wait_for(lambda: flyte_events(stack, "ReceivedInteraction"))
    assert {k: event["payload"][k] for k in ("actionId", "value", "channelId", "threadTimestamp")} == {
        "actionId": "approve",
        "value": "deploy-42",
        "channelId": "C0123",
        "threadTimestamp": "1700000003.000100",
    }


def test_send_message_reaches_slack_by_push_delivery(ready, stack, slack):
    flow = {
        "name": "echo",
        "steps": [
            {
                "id": "echo",
                "event": {"packName": "Slack", "name": "ReceivedMessage"},
                "criteria": "{{ Event.Payload.message|match:'^echo ' }}",
                "command": {
                    "packName": "Slack",
                    "name": "SendMessage",
                    "input": {
                        "channelId": "{{ Event.Payload.channelId }}",
                        "threadTimestamp": "{{ Event.Payload.threadTimestamp }}",
                        "message": "you said {{ Event.Payload.message }}",
                    },
                },
            }
        ],
    }
    assert requests.post(f"{stack.url}/v1/flows", json=flow).status_code == 201
    send_to_request_url(events_url(stack), event_callback(message("echo this", "1700000005.000100"), "EvEcho"), SIGNING_SECRET)
    assert slack.wait_for(lambda: any(p.get("text") == "you said echo this" for p in slack.posted), timeout=30)
    posted = next(p for p in slack.posted if p.get("text") == "you said echo this")
    assert posted["thread_ts"] == "1700000005.000100"
    assert {c.token for c in slack.calls_of("chat.postMessage")} == {BOT_TOKEN}
    (execution,) = requests.get(f"{stack.url}/v1/audit/flows", params={"flowName": "echo"}).json()["flows"]
    action = wait_for(
        lambda: (
            (a := requests.get(f"{stack.url}/v1/audit/flows/{execution['correlationId']}").json()["actions"]["echo"]).get(
                "result"
            )
            and a
        )
    )
    assert action["result"]["event"] == "MessageSent" and action["takenBy"] == {"iss": "urn:flyte:delivery", "sub": "Slack"}
    assert requests.delete(f"{stack.url}/v1/flows/echo").status_code == 204


def test_a_delivery_the_engine_did_not_sign_is_refused(ready, stack, slack):
    body = json.dumps({"id": "x", "command": "SendMessage", "input": {"channelId": "C0123", "message": "forged"}, "links": []})
    stamp = str(int(time.time()))
    forged = requests.post(
        f"{stack.url}/slack/actions",
        data=body,
        headers={"X-Flyte-Timestamp": stamp, "X-Flyte-Signature": "v1=" + slack_signature(SIGNING_SECRET, stamp, body)[3:]},
    )
    assert forged.status_code == 401
    assert not any(p.get("text") == "forged" for p in slack.posted)


REPLY = "Hey <@U42>!\nPlease find below the UK bank holidays for the current year:\n\n" + EXPECTED_LIST


def test_the_quick_start_with_the_slack_pack_in_the_stack_and_the_shell_pack_long_polling(
    ready, stack, slack, flow_posted, shell_pack
):
    body = event_callback(message("flyte uk-bank-holidays", "1700000009.000200"), "EvQuickStart")
    assert send_to_request_url(events_url(stack), body, SIGNING_SECRET).status_code == 200
    assert slack.wait_for(lambda: any(p.get("text") == REPLY for p in slack.posted), timeout=120), "no reply in Slack"
    reply = next(p for p in slack.posted if p.get("text") == REPLY)
    assert reply == {"channel": "C0123", "text": REPLY, "thread_ts": "1700000009.000200"}
