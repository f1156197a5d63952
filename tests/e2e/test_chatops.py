"""Who may do what from chat (issue 27) on a stack deployed with its defaults (tokens required): the
Slack pack's bound token says who acted, anyone else's say-so is dropped and recorded, the admin's
identities document gives people their groups, and a step for the `sre` group refuses an outsider
with the reason `actor` in the trace and answers them in chat."""

from __future__ import annotations

import time

import pytest
import requests

from flyte_core import tokens
from flyte_local.application import physical_name

pytestmark = pytest.mark.e2e

IDENTITIES = b"""
people:
  - chatUser: U0ALICE
    claims: {groups: [sre]}
  - email: bob@example.com
    claims: {groups: [sre]}
"""
FLOW = {
    "name": "restart",
    "steps": [
        {
            "id": "restart",
            "event": {"packName": "Slack", "name": "ReceivedMessage"},
            "criteria": "{{ Event.Payload.message|match:'^flyte restart ' }}",
            "actor": {"groups": ["sre"]},
            "denied": {
                "packName": "Slack",
                "name": "SendMessage",
                "input": {"channelId": "{{ Event.Payload.channelId }}", "message": "Only the sre group may restart."},
            },
            "command": {"packName": "Shell", "name": "Shell", "input": "echo restart"},
        }
    ],
}


@pytest.fixture(scope="module")
def url(secure_stack):
    return secure_stack.url


def mint(capsys, backend, monkeypatch, *arguments: str) -> dict[str, str]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", backend.endpoint)
    assert tokens.main(["mint", "--secret-id", physical_name("TokenSecret"), "--ttl", "1h", *arguments]) == 0
    return {"Authorization": f"Bearer {capsys.readouterr().out.strip()}"}


def said(url: str, headers: dict, text: str, user: str, email: str = "", pack: str = "Slack") -> str:
    body = {"event": "ReceivedMessage", "payload": {"message": text, "channelId": "C1", "threadTimestamp": "1.1"}}
    body["chatActor"] = {"user": user, **({"email": email} if email else {})}
    answer = requests.post(f"{url}/v1/packs/{pack}/events", json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    return answer.headers["Location"]


def traced(location: str, headers: dict) -> dict:
    deadline = time.monotonic() + 30
    while True:
        event = requests.get(location, headers=headers).json()
        if event.get("status") == "processed":
            return event
        assert time.monotonic() < deadline, "the event's trace within 30 s"
        time.sleep(0.1)


def test_only_the_slack_packs_token_says_who_acted_and_a_step_for_sre_refuses_others(url, backend, monkeypatch, capsys):
    admin = mint(capsys, backend, monkeypatch, "--subject", "ana", "--claim", "flyte_role=admin")
    slack = mint(capsys, backend, monkeypatch, "--pack", "Slack", "--subject", "slack-host")
    chat = mint(capsys, backend, monkeypatch, "--pack", "Chat", "--subject", "chat-host")
    for headers, name in ((slack, "Slack"), (chat, "Chat")):
        registered = requests.post(
            f"{url}/v1/packs", json={"name": name, "events": [{"name": "ReceivedMessage"}]}, headers=headers
        )
        assert registered.status_code == 201, registered.text

    # the identities document: checked when stored
    wrong = requests.put(
        f"{url}/v1/datastore/chat-identities", files={"value": ("v", b"people: {U1: sre}", "application/x-yaml")}, headers=admin
    )
    assert wrong.status_code == 400 and "people" in wrong.json()["detail"]
    stored = requests.put(
        f"{url}/v1/datastore/chat-identities", files={"value": ("v", IDENTITIES, "application/x-yaml")}, headers=admin
    )
    assert stored.status_code in (201, 204), stored.text
    assert requests.post(f"{url}/v1/flows", json=FLOW, headers=admin).status_code == 201

    # the Slack pack's own token: kept, and Alice (sre by her chat id) starts the step
    alice = traced(said(url, slack, "flyte restart api", "U0ALICE"), admin)
    assert alice["actor"]["chat"] == {"user": "U0ALICE"} and alice["actor"]["sub"] == "slack-host"
    (flow,) = alice["flows"]
    assert flow["steps"][0]["outcome"] == "fired"

    # Bob is an sre by his verified email
    bob = traced(said(url, slack, "flyte restart db", "U0BOB", "bob@example.com"), admin)
    assert bob["flows"][0]["steps"][0]["outcome"] == "fired"

    # Eve is nobody's sre: skipped with the reason `actor`, answered in chat by the `denied` command
    eve = traced(said(url, slack, "flyte restart api", "U0EVE"), admin)
    (step,) = eve["flows"][0]["steps"]
    assert (step["outcome"], step["reason"]) == ("skipped", "actor") and "groups: sre" in step["detail"]
    execution = requests.get(f"{url}/v1/audit/flows/{eve['flows'][0]['correlationId']}", headers=admin).json()
    reply = execution["actions"]["restart#denied"]
    assert reply["packName"] == "Slack" and reply["input"] == {"channelId": "C1", "message": "Only the sre group may restart."}

    # an admin token claiming to be Alice as the Slack pack: dropped, recorded, and the step refuses
    forged = traced(said(url, admin, "flyte restart api", "U0ALICE"), admin)
    assert "chat" not in forged["actor"] and forged["actor"]["chatDropped"]["user"] == "U0ALICE"
    assert "only a token bound to pack 'Slack'" in forged["actor"]["chatDropped"]["reason"]
    assert forged["flows"][0]["steps"][0]["reason"] == "actor"

    # another pack's bound token is no chat pack's
    other = requests.get(said(url, chat, "hi", "U0ALICE", pack="Chat"), headers=admin).json()
    assert "not a chat pack" in other["actor"]["chatDropped"]["reason"]
