"""Approvals in chat (issue 27) against moto: answers are kept once per chat user by a conditional
write, a redelivered click finishes what an interrupted first attempt left (the release, the end
after a deny), and the timer on the delivery queue ends an approval nobody gave, once it is due."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from flyte_core.domain import approvals, chat, flows, packs, times
from flyte_core.domain.datastore import Item
from flyte_core.domain.events import new_event
from flyte_core.services import delivery, matching, pipeline, registry

IDENTITIES = b"people:\n  - {chatUser: U0ALICE, claims: {groups: [sre]}}\n  - {chatUser: U0BOB, claims: {groups: [sre]}}\n  - {chatUser: U0CARL, claims: {groups: [sre]}}\n"


def asked(adapters, approvers: int = 2, timeout: str = "10m"):
    """Alice's `restart` in Slack, for a step needing approval: returns the waiting action."""
    adapters.datastore_table.put(Item(chat.IDENTITIES_KEY, IDENTITIES, "application/x-yaml"))
    flow = {
        "name": "ops",
        "steps": [
            {
                "id": "restart",
                "event": {"packName": "Slack", "name": "ReceivedMessage"},
                "actor": {"groups": ["sre"]},
                "approval": {"approvers": approvers, "timeout": timeout},
                "command": {"packName": "Ops", "name": "Restart", "input": {"service": "api"}},
            }
        ],
    }
    adapters.flows_table.save(flows.parse_flow(flow))
    registry.register(adapters, packs.parse_registration({"name": "Slack"}))
    registry.register(adapters, packs.parse_registration({"name": "Ops", "commands": [{"name": "Restart"}]}))
    said = from_slack(adapters, "ReceivedMessage", {"channelId": "C1", "threadTimestamp": "1.1", "message": "restart"}, "U0ALICE")
    outcome = matching.match_event(adapters, said)
    (waiting,) = [a for a in map(adapters.actions_table.get, outcome.created) if a.step_id == "restart"]
    assert waiting.state == approvals.WAITING
    return waiting


def from_slack(adapters, name, payload, user):
    pack = adapters.packs_table.get("Slack")
    actor = {"iss": "urn:flyte:stack", "sub": "slack-function", "chat": {"user": user}}
    event = new_event(name, pack.id, pack.name, {}, payload, actor=actor)
    adapters.events_table.put(event)
    return event


def click(adapters, action, user, approve=True):
    payload = {"actionId": approvals.APPROVE if approve else approvals.DENY, "value": action.id}
    return from_slack(adapters, "ReceivedInteraction", payload, user)


def answers(adapters, action_id):
    return [(s["value"], s["by"]["chatUser"]) for s in adapters.actions_table.get(action_id).states if "counts" in s]


def test_a_redelivered_click_is_recorded_once(adapters):
    waiting = asked(adapters)
    bob = click(adapters, waiting, "U0BOB")
    matching.match_event(adapters, bob)
    matching.match_event(adapters, bob)  # the stream delivers the record again
    current = adapters.actions_table.get(waiting.id)
    assert (current.state, current.approvals, answers(adapters, waiting.id)) == (approvals.WAITING, 1, [("APPROVED", "U0BOB")])


def test_a_click_redelivered_after_an_interrupted_release_releases(adapters):
    waiting = asked(adapters, approvers=1)
    bob = click(adapters, waiting, "U0BOB")
    entry = approvals.timeline_entry(approvals.parse_answer(bob), bob.received_at, None)
    assert adapters.actions_table.record_answer(waiting.id, "U0BOB", entry, True) is not None  # then the attempt stopped
    matching.match_event(adapters, bob)
    released = adapters.actions_table.get(waiting.id)
    assert released.state == "NEW" and [a.id for a in adapters.actions_table.waiting_for("Ops")] == [waiting.id]
    ops = adapters.packs_table.get("Ops")
    taken = pipeline.take(adapters, ops, 1)
    assert taken is not None and taken.id == waiting.id


def test_a_click_redelivered_after_an_interrupted_deny_ends_it_denied(adapters):
    waiting = asked(adapters)
    carl = click(adapters, waiting, "U0CARL", approve=False)
    entry = approvals.timeline_entry(approvals.parse_answer(carl), carl.received_at, None)
    adapters.actions_table.record_answer(waiting.id, "U0CARL", entry, True)
    matching.match_event(adapters, carl)
    ended = adapters.actions_table.get(waiting.id)
    assert ended.state == "FATAL" and ended.result["payload"]["reason"] == "denied"
    assert ended.result["payload"]["by"]["chatUser"] == "U0CARL"


def timer_messages(adapters):
    response = adapters.aws.sqs.receive_message(QueueUrl=adapters.delivery_queue.url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    return [(m["MessageId"], m["Body"], m["ReceiptHandle"]) for m in response.get("Messages", []) if "approvalDue" in m["Body"]]


def test_the_timer_keeps_the_message_until_due_then_ends_it_expired(adapters):
    waiting = asked(adapters, timeout="1s")
    (message,) = timer_messages(adapters)
    assert json.loads(message[1]) == {"approvalDue": waiting.id}
    later = replace(waiting, approval={**waiting.approval, "expiresAt": times.format_time(times.now() + timedelta(hours=1))})
    adapters.actions_table.model(waiting.id).update(actions=[adapters.actions_table.model.approval.set(later.approval)])
    assert delivery.handle_batch(adapters, [message]) == [message[0]]  # not due: kept (hidden until it is)
    assert adapters.actions_table.get(waiting.id).state == approvals.WAITING
    adapters.actions_table.model(waiting.id).update(actions=[adapters.actions_table.model.approval.set(waiting.approval)])
    assert delivery.handle_batch(adapters, [message]) == []  # due: done with
    ended = adapters.actions_table.get(waiting.id)
    assert ended.state == "FATAL" and ended.result["payload"]["reason"] == "expired"
    assert delivery.handle_batch(adapters, [message]) == []  # a second timer finds it settled
