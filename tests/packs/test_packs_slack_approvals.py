"""Approvals in chat (issue 27) with the Slack pack in the stack and a fake Slack: a step for the sre
group asks in the requester's thread with Approve/Deny buttons, counts the answers of other sre
members (a Slack retry or a second click once), then offers the command to its pack, or ends it FATAL
`denied` or `expired`; an outsider's or the requester's own click is answered and counts for nothing.
Every answer is in the execution's audit (the action's states: the console's timeline)."""

from __future__ import annotations

import itertools
import json
import time
from urllib.parse import urlencode

import pytest
import requests

from flyte_local.stack import LocalStack
from tests.packs.fake_slack import FakeSlack, event_callback, send_to_request_url, slack_user
from tests.packs.test_packs_slack_events_api import SIGNING_SECRET, events_url, store_credentials, wait_for

pytestmark = pytest.mark.e2e
IDENTITIES = b"""
people:
  - chatUser: U0ALICE
    claims: {groups: [sre]}
  - email: bob@example.com
    claims: {groups: [sre]}
  - chatUser: U0CARL
    claims: {groups: [sre]}
"""
STAMPS = itertools.count(1)


@pytest.fixture(scope="module")
def slack():
    fake = FakeSlack()
    fake.add_channel("C0OPS", "ops")
    for user_id, name, email in (
        ("U0ALICE", "alice", "alice@example.com"),
        ("U0BOB", "bob", "bob@example.com"),
        ("U0CARL", "carl", ""),
        ("U0EVE", "eve", "eve@example.com"),
    ):
        fake.users[user_id] = slack_user(user_id, name, email)
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
    assert store_credentials(backend, local).status_code == 200
    stored = requests.put(f"{local.url}/v1/datastore/chat-identities", files={"value": ("v", IDENTITIES, "application/x-yaml")})
    assert stored.status_code in (201, 204), stored.text
    registered = requests.post(f"{local.url}/v1/packs", json={"name": "Ops", "commands": [{"name": "Restart"}]})
    assert registered.status_code == 201, registered.text
    yield local
    local.stop()


def flow(**approval) -> dict:
    return {
        "name": "restart",
        "steps": [
            {
                "id": "restart",
                "event": {"packName": "Slack", "name": "ReceivedMessage"},
                "criteria": "{{ Event.Payload.message|match:'^flyte restart ' }}",
                "actor": {"groups": ["sre"]},
                "approval": {"timeout": "10m", **approval},
                "command": {
                    "packName": "Ops",
                    "name": "Restart",
                    "input": {"service": "{{ Event.Payload.message|split:' '|last }}"},
                },
            },
            {
                "id": "tell",
                "dependsOn": ["restart"],
                "event": {"packName": "Ops", "name": "FATAL"},
                "command": {
                    "packName": "Slack",
                    "name": "SendMessage",
                    "input": {"channelId": "C0OPS", "message": "restart {{ Event.Payload.reason }}: {{ Event.Payload.detail }}"},
                },
            },
        ],
    }


def ask(stack, slack, service: str, approval: dict, user: str = "U0ALICE") -> tuple[str, str]:
    """Alice types `flyte restart <service>`; returns the waiting action's id and the thread."""
    assert requests.post(f"{stack.url}/v1/flows", json=flow(**approval)).status_code == 201
    ts = f"1700000100.{next(STAMPS):06d}"
    body = event_callback(
        {"type": "message", "channel": "C0OPS", "user": user, "text": f"flyte restart {service}", "ts": ts}, f"Ev{ts}"
    )
    assert send_to_request_url(events_url(stack), body, SIGNING_SECRET).status_code == 200
    question = wait_for(
        lambda: next((p for p in slack.posted if p.get("thread_ts") == ts and p.get("blocks")), None), what="the question"
    )
    blocks = json.loads(question["blocks"]) if isinstance(question["blocks"], str) else question["blocks"]
    assert (
        "*Ops.Restart*" in question["text"] and f'"service": "{service}"' in question["text"] and "<@U0ALICE>" in question["text"]
    )
    approve, deny = blocks[1]["elements"]
    assert (approve["action_id"], deny["action_id"]) == ("flyte.approve", "flyte.deny") and approve["value"] == deny["value"]
    return approve["value"], ts


def click(stack, action_id: str, user: str, ts: str, approve: bool = True) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": "C0OPS"},
        "message": {"ts": "1800000000.000001", "thread_ts": ts},
        "actions": [
            {
                "action_id": "flyte.approve" if approve else "flyte.deny",
                "block_id": "b",
                "value": action_id,
                "action_ts": str(time.time()),
            }
        ],
        "team": {"id": "T1"},
        "api_app_id": "A1",
    }
    body = urlencode({"payload": json.dumps(payload)})
    answer = send_to_request_url(events_url(stack), body, SIGNING_SECRET, content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200


def replies(slack, ts: str) -> list[str]:
    return [p["text"] for p in slack.posted if p.get("thread_ts") == ts and not p.get("blocks")]


def waiting_action(stack, action_id: str) -> dict:
    for execution in requests.get(f"{stack.url}/v1/audit/flows", params={"flowName": "restart", "limit": 100}).json()["flows"]:
        detail = requests.get(f"{stack.url}/v1/audit/flows/{execution['correlationId']}").json()
        if detail["actions"].get("restart", {}).get("id") == action_id:
            return detail["actions"]["restart"]
    raise AssertionError(f"no execution has action {action_id}")


def answers(stack, action_id: str) -> list[tuple[str, str, bool]]:
    states = waiting_action(stack, action_id)["states"]
    return [(s["value"], s["by"]["chatUser"], s["counts"]) for s in states if s["value"] in ("APPROVED", "DENIED", "REFUSED")]


def taken(stack, wait: int = 20) -> dict | None:
    answer = requests.post(f"{stack.url}/v1/packs/Ops/actions/take", params={"wait": wait})
    return answer.json() if answer.status_code == 200 else None


def test_one_approval_from_another_sre_runs_the_command(stack, slack):
    action_id, ts = ask(stack, slack, "api", {})
    assert waiting_action(stack, action_id)["state"]["value"] == "APPROVAL"
    assert taken(stack, wait=1) is None  # not offered before its approval
    click(stack, action_id, "U0BOB", ts)  # an sre by his verified email
    action = taken(stack)
    assert action and action["command"] == "Restart" and action["input"] == {"service": "api"}
    assert wait_for(lambda: any("Approved by <@U0BOB> (1 of 1)" in text for text in replies(slack, ts)))
    assert answers(stack, action_id) == [("APPROVED", "U0BOB", True)]


def test_two_approvers_are_needed_and_a_second_click_of_one_counts_once(stack, slack):
    action_id, ts = ask(stack, slack, "db", {"approvers": 2})
    click(stack, action_id, "U0BOB", ts)
    click(stack, action_id, "U0BOB", ts)  # a double click, or Slack sending it again
    assert wait_for(lambda: any("(1 of 2); waiting for 1 more" in text for text in replies(slack, ts)))
    assert taken(stack, wait=2) is None
    click(stack, action_id, "U0CARL", ts)
    action = taken(stack)
    assert action and action["input"] == {"service": "db"}
    assert answers(stack, action_id) == [("APPROVED", "U0BOB", True), ("APPROVED", "U0CARL", True)]
    assert sum("(1 of 2)" in text for text in replies(slack, ts)) == 1


def test_the_requester_cannot_approve_their_own_request(stack, slack):
    action_id, ts = ask(stack, slack, "cache", {})
    click(stack, action_id, "U0ALICE", ts)
    assert wait_for(lambda: any("<@U0ALICE>: your answer does not count (the requester may not" in t for t in replies(slack, ts)))
    assert answers(stack, action_id) == [("REFUSED", "U0ALICE", False)]
    assert waiting_action(stack, action_id)["state"]["value"] == "APPROVAL" and taken(stack, wait=1) is None


def test_an_outsiders_click_is_answered_and_counts_for_nothing(stack, slack):
    action_id, ts = ask(stack, slack, "queue", {})
    click(stack, action_id, "U0EVE", ts, approve=False)  # even a deny from an outsider stops nothing
    assert wait_for(
        lambda: any("<@U0EVE>: your answer does not count (answering needs groups: sre)" in t for t in replies(slack, ts))
    )
    (refused,) = [s for s in waiting_action(stack, action_id)["states"] if s["value"] == "REFUSED"]
    assert refused["by"] == {"sub": "U0EVE", "chatUser": "U0EVE", "email": "eve@example.com"} and refused["answer"] == "deny"
    assert waiting_action(stack, action_id)["state"]["value"] == "APPROVAL"
    click(stack, action_id, "U0CARL", ts)
    assert taken(stack)["input"] == {"service": "queue"}


def test_a_deny_ends_the_step_fatal_denied_and_the_flow_reacts(stack, slack):
    action_id, ts = ask(stack, slack, "payments", {"approvers": 2})
    click(stack, action_id, "U0CARL", ts, approve=False)
    action = wait_for(lambda: (a := waiting_action(stack, action_id))["state"]["value"] == "FATAL" and a, what="the deny")
    assert action["result"]["event"] == "FATAL" and action["result"]["payload"]["reason"] == "denied"
    assert action["result"]["payload"]["by"]["chatUser"] == "U0CARL"
    assert wait_for(
        lambda: any(p.get("text") == "restart denied: Denied in chat by U0CARL." for p in slack.posted)
    )  # the `tell` step
    assert wait_for(lambda: any("Not running *Ops.Restart*" in text for text in replies(slack, ts)))
    click(stack, action_id, "U0BOB", ts)  # too late: settled
    assert taken(stack, wait=2) is None


def test_an_approval_nobody_gives_expires(stack, slack):
    action_id, _ = ask(stack, slack, "search", {"timeout": "3s"})
    action = wait_for(
        lambda: (a := waiting_action(stack, action_id))["state"]["value"] == "FATAL" and a, timeout=60, what="the expiry"
    )
    assert action["result"]["payload"]["reason"] == "expired"
    assert wait_for(lambda: any(p.get("text", "").startswith("restart expired: Not approved within 3 s") for p in slack.posted))
