"""Issue 21 end to end: the ready long poll on the local stack, served as API Gateway serves it
(the authorizer of template.yaml, then SQS ReceiveMessage with the integration's parameters).

An SDK pack idles on ready - no take function runs while it waits - and takes an action within
about a second of its being queued; a peek does not take the action (the take does, once); a token
bound to another pack is refused at the authorizer."""

from __future__ import annotations

import queue
import time
from datetime import UTC, datetime

import pytest
import requests

from flyte_core import tokens
from flyte_local.application import physical_name
from flyte_pack import Command, Event, Pack

pytestmark = pytest.mark.e2e

FLOW = {
    "name": "doorbell",
    "steps": [
        {
            "id": "ring",
            "event": {"packName": "Door", "name": "Pressed"},
            "command": {"packName": "Bell", "name": "Ring", "input": "{{ Event.Payload.who }}"},
        }
    ],
}


def link(pack: dict, rel_end: str) -> str:
    return next(item["href"] for item in pack["links"] if item["rel"].endswith(rel_end))


def register(url: str, name: str, headers: dict | None = None) -> dict:
    response = requests.post(
        f"{url}/v1/packs", json={"name": name, "commands": [{"name": "Ring", "events": ["Rung"]}]}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def audit_action(url: str) -> dict | None:
    flows = requests.get(f"{url}/v1/audit/flows", params={"flowName": "doorbell"}).json()["flows"]
    return flows[0]["actions"]["ring"] if flows else None


def test_an_sdk_pack_idling_on_ready_takes_the_action_within_a_second_of_its_queueing(stack, post_flow):
    post_flow(FLOW)
    door = register(stack.url, "Door")
    rung: queue.Queue = queue.Queue()

    def ring(who):
        rung.put((who, datetime.now(UTC)))
        return Event("Rung", {"who": who})

    bell = Pack("Bell", commands=[Command("Ring", handler=ring, output_events=["Rung"])], api_url=stack.url, poll_wait=5)
    takes = stack.runtimes["TakeFunction"]
    bell.start(block=False)
    try:
        assert bell.wait_registered(15)
        assert bell.client.registration is not None and bell.client.registration.ready_url
        time.sleep(1.5)  # idle: waiting on ready
        takes_before, ready_before = takes.invocations, stack.service_routes.counts["requests"]
        time.sleep(3)
        assert takes.invocations == takes_before  # no take function ran while the pack idled
        assert stack.service_routes.counts["requests"] >= ready_before  # it waited on ready meanwhile

        response = requests.post(link(door, "event"), json={"event": "Pressed", "payload": {"who": "ana"}})
        assert response.status_code == 202, response.text
        who, ran_at = rung.get(timeout=30)
        assert who == "ana"
        deadline = time.monotonic() + 30
        while (action := audit_action(stack.url)) is None or action["state"]["value"] != "SUCCESS":
            assert time.monotonic() < deadline, action
            time.sleep(0.2)
        queued = parse_time(next(state["time"] for state in action["states"] if state["value"] == "NEW"))
        taken = parse_time(next(state["time"] for state in action["states"] if state["value"] == "PENDING"))
        # The bell rang at once, not at the end of the pack's 5 s wait: the ready poll returns as the
        # action is queued (about 0.6 s here), and the take's own work (claim, lastSeen) follows; a
        # machine shared with other test runs is given some slack.
        assert (taken - queued).total_seconds() < 3, action["states"]
        assert (ran_at - queued).total_seconds() < 4
        assert action["attempts"] == 1
    finally:
        assert bell.stop(timeout=15)


def test_a_peek_leaves_the_action_which_the_take_then_claims_once(stack, post_flow):
    post_flow(FLOW)
    door, bell = register(stack.url, "Door"), register(stack.url, "Bell")
    ready, take = link(bell, "actionReady"), link(bell, "takeAction")
    empty = requests.get(ready, params={"wait": 1})
    assert empty.status_code == 200 and empty.json()["ReceiveMessageResponse"]["ReceiveMessageResult"]["messages"] is None

    assert requests.post(link(door, "event"), json={"event": "Pressed", "payload": {"who": "rui"}}).status_code == 202
    started = time.monotonic()
    rang = requests.get(ready, params={"wait": 20})  # returns as soon as the action is queued
    assert rang.status_code == 200
    (message,) = rang.json()["ReceiveMessageResponse"]["ReceiveMessageResult"]["messages"]
    assert time.monotonic() - started < 15
    for _ in range(2):  # peeking again still finds it: nothing took it
        again = requests.get(ready, params={"wait": 1}).json()["ReceiveMessageResponse"]["ReceiveMessageResult"]["messages"]
        assert [m["Body"] for m in again] == [message["Body"]]

    taken = requests.post(take, params={"wait": 1}, json=None)
    assert taken.status_code == 200 and taken.json()["input"] == "rui"
    assert requests.post(take, params={"wait": 1}, json=None).status_code == 204  # taken once
    after = requests.get(ready, params={"wait": 1}).json()["ReceiveMessageResponse"]["ReceiveMessageResult"]["messages"]
    assert after is None  # the taken action is under its lease: nothing rings


def test_a_deleted_pack_is_told_by_the_take(stack):
    """The authorizer's answer is cached (with the queue URL): a deleted pack's ready poll fails in SQS
    (the queue does not exist: 400), and the take it falls back to answers 404."""
    bell = register(stack.url, "Bell")
    ready = link(bell, "actionReady")
    assert requests.get(ready, params={"wait": 0}).status_code == 200
    assert requests.delete(link(bell, "self")).status_code == 204
    gone = requests.get(ready, params={"wait": 0})
    assert gone.status_code == 400 and "does not exist" in gone.text
    assert requests.post(link(bell, "takeAction"), params={"wait": 0}, json=None).status_code == 404
    assert requests.get(f"{stack.url}/v1/packs/Nobody/actions/ready", params={"wait": 0}).status_code == 403


def test_only_a_token_that_may_take_a_packs_actions_may_wait_for_them(secure_stack, backend, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL", backend.endpoint)

    def mint(*arguments: str) -> dict:
        assert tokens.main(["mint", "--secret-id", physical_name("TokenSecret"), *arguments]) == 0
        return {"Authorization": f"Bearer {capsys.readouterr().out.strip()}"}

    bell_token, door_token = mint("--subject", "bell-host", "--pack", "Bell"), mint("--subject", "door-host", "--pack", "Door")
    bell = register(secure_stack.url, "Bell", bell_token)
    register(secure_stack.url, "Door", door_token)
    ready = link(bell, "actionReady")
    assert requests.get(ready, params={"wait": 0}).status_code == 401  # no token: API Gateway refuses before asking
    assert requests.get(ready, params={"wait": 0}, headers=door_token).status_code == 403  # another pack's token
    assert requests.post(link(bell, "takeAction"), params={"wait": 0}, json=None, headers=door_token).status_code == 403
    assert requests.get(ready, params={"wait": 0}, headers=bell_token).status_code == 200
    assert requests.get(ready, params={"wait": 0}, headers={"Authorization": "Bearer not-a-token"}).status_code == 403
