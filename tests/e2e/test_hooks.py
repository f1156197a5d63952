"""Webhooks on the local stack (issue 22): a GitHub push, from GitHub's documentation and signed as
GitHub signs it, starts a flow end to end; a redelivery starts nothing more."""

import json
import time
from pathlib import Path

import pytest
import requests

from tests.webhook_senders import signed_headers

pytestmark = pytest.mark.e2e
PUSH = (Path(__file__).resolve().parents[1] / "fixtures" / "webhooks" / "github-push.json").read_bytes()


def test_a_github_push_starts_a_flow(api, make_pack, post_flow):
    post_flow(
        {
            "name": "on_push",
            "steps": [
                {
                    "id": "announce",
                    "event": {"packName": "Webhook", "name": "push", "packLabels": {"hook": "hello-world"}},
                    "criteria": "{{ Event.Payload.ref == 'refs/heads/main' }}",
                    "command": {
                        "packName": "Chat",
                        "name": "Send",
                        "input": "{{ Event.Payload.pusher.name }} pushed to {{ Event.Payload.repository.full_name }}",
                    },
                }
            ],
        }
    )
    chat = make_pack("Chat")
    created = api.post(api.base + "/v1/hooks", json={"name": "hello-world", "scheme": "github"})
    assert created.status_code == 201, created.text
    hook = created.json()
    headers = signed_headers("github", hook["secret"], PUSH, event="push", delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")

    sent = time.time()
    delivered = requests.post(hook["url"], data=PUSH, headers=headers, timeout=10)  # no token: the hook's URL is public
    assert delivered.status_code == 202, delivered.text
    taken = chat.take_until(timeout=30)
    latency = time.time() - sent
    assert (taken.command, taken.input) == ("Send", "Codertocat pushed to Codertocat/Hello-World")

    again = requests.post(hook["url"], data=PUSH, headers=headers, timeout=10)  # GitHub's "Redeliver"
    assert again.status_code == 200 and again.headers["Location"] == delivered.headers["Location"]
    trace = api.get(delivered.headers["Location"]).json()
    assert trace["firedSteps"] == 1 and trace["pack"] == {
        "id": "Webhook.hook.hello-world",
        "name": "Webhook",
        "labels": {"hook": "hello-world"},
    }
    assert chat.take(wait=1) is None  # the redelivery started nothing
    print(f"\nwebhook POST -> action taken: {latency:.2f} s")


def test_a_bad_signature_is_401_and_stores_nothing(api):
    created = api.post(api.base + "/v1/hooks", json={"name": "guarded", "scheme": "github"}).json()
    headers = signed_headers("github", "not-the-secret-of-this-hook", PUSH)
    refused = requests.post(created["url"], data=PUSH, headers=headers, timeout=10)
    assert refused.status_code == 401 and refused.headers["Content-Type"] == "application/problem+json"
    events = api.get(api.base + "/v1/audit/events", params={"packName": "Webhook"}).json()["events"]
    assert [e for e in events if e["pack"]["labels"] == {"hook": "guarded"}] == []
    assert json.loads(refused.text)["status"] == 401
