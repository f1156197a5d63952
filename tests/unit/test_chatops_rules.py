"""Who may do what from chat (issue 27), as pure rules: the chat actor an event may carry, the
admin's identities document, `actor:`/`denied:`/`approval:` on a step, and how approvals count."""

from datetime import UTC, datetime

import pytest

from flyte_core.domain import approvals, chat, execution, explain, flows
from flyte_core.domain.errors import InvalidInput
from flyte_core.domain.events import Event
from flyte_core.domain.templating import parse_bool, render
from flyte_core.http.auth.policy import parse_policy

AT = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
IDENTITIES = chat.parse_identities(
    """
people:
  - chatUser: U0ALICE
    claims: {groups: [sre]}
  - email: Bob@Example.com
    claims: {groups: [sre, dba]}
  - chatUser: U0EVE
    claims: {groups: [marketing]}
"""
)


def message(text="flyte restart api", user="U0ALICE", email="", event_id="e1", actor=True):
    chat_actor = {"chat": {"user": user, **({"email": email} if email else {})}} if actor else {}
    return Event(
        id=event_id,
        name="ReceivedMessage",
        pack_id="Slack",
        pack_name="Slack",
        payload={"message": text, "channelId": "C1", "threadTimestamp": "1.1", "user": {"id": user}},
        created_at=AT,
        received_at=AT,
        actor={"iss": "urn:flyte:stack", "sub": "slack-function", **chat_actor},
    )


def claims_of(event):
    actor = chat.event_chat_actor(event.actor)
    return IDENTITIES.claims_of(actor) if actor else None


RESTART = {
    "id": "restart",
    "event": {"packName": "Slack", "name": "ReceivedMessage"},
    "criteria": "{{ Event.Payload.message|match:'^flyte restart ' }}",
    "actor": {"groups": ["sre"]},
    "denied": {
        "packName": "Slack",
        "name": "SendMessage",
        "input": {"channelId": "{{ Event.Payload.channelId }}", "message": "sre only, <@{{ Event.Payload.user.id }}>"},
    },
    "command": {"packName": "Shell", "name": "Shell", "input": "systemctl restart {{ Event.Payload.message|split:' '|last }}"},
}


def plan(step, event):
    flow = flows.parse_flow({"name": "ops", "steps": [step]})
    run = execution.Execution("5f0a0e00aaaaaaaaaaaaaaaa", "uuid1", flow, {}, {})
    return execution.plan(run, event, render, parse_bool, claims_of)


# --- the chat actor an event carries -------------------------------------------------------------


def test_only_a_token_bound_to_the_chat_pack_may_say_who_acted_in_chat():
    assert chat.may_assert("Slack", "Slack", ("Slack",)) is None
    assert "only a token bound to pack 'Slack'" in chat.may_assert(None, "Slack", ("Slack",))
    assert "only a token bound" in chat.may_assert("Shell", "Slack", ("Slack",))
    assert "not a chat pack" in chat.may_assert("Shell", "Shell", ("Slack",))


def test_a_claimed_actor_is_kept_when_trusted_and_recorded_as_dropped_otherwise():
    claimed = chat.parse_posted_actor({"event": "E", "chatActor": {"user": "U1", "email": "a@b.c"}})
    record = {"iss": "i", "sub": "s"}
    assert chat.with_chat_actor(record, claimed, True, "") == {**record, "chat": {"user": "U1", "email": "a@b.c"}}
    dropped = chat.with_chat_actor(record, claimed, False, "not bound")
    assert dropped["chatDropped"] == {"user": "U1", "email": "a@b.c", "reason": "not bound"} and "chat" not in dropped
    assert chat.event_chat_actor(dropped) is None
    assert chat.parse_posted_actor({"event": "E"}) is None


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("U1", "chatActor"),
        ({"email": "a@b"}, "chatActor.user"),
        ({"user": 7}, "chatActor.user"),
        ({"user": "U", "email": ["x"]}, "chatActor.email"),
    ],
)
def test_a_malformed_chat_actor_is_refused_naming_the_field(value, field):
    with pytest.raises(InvalidInput) as error:
        chat.parse_posted_actor({"chatActor": value})
    assert error.value.extra["field"] == field


def test_identities_give_claims_by_chat_user_or_verified_email():
    assert IDENTITIES.claims_of(chat.ChatActor("U0ALICE")) == {"chat_user": "U0ALICE", "groups": ["sre"]}
    bob = IDENTITIES.claims_of(chat.ChatActor("U0BOB", "bob@example.com"))  # email matched case-insensitively
    assert bob["groups"] == ["sre", "dba"] and bob["email"] == "bob@example.com"
    assert IDENTITIES.claims_of(chat.ChatActor("U0NOBODY")) == {"chat_user": "U0NOBODY"}


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ("people: {U1: sre}", "list 'people'"),
        ("people:\n  - claims: {groups: [sre]}", "chatUser or an email"),
        ("people:\n  - chatUser: U1\n    claims: {groups: sre}", "claims.groups must be a list"),
        ("people:\n  - chatUser: U1\n    group: sre", "unknown key 'group'"),
        ("persons: []", "unknown key 'persons'"),
        ("people: [", "not valid YAML"),
    ],
)
def test_a_wrong_identities_document_is_refused_when_stored(document, says):
    with pytest.raises(InvalidInput) as error:
        chat.check_item(chat.IDENTITIES_KEY, document.encode())
    assert says in str(error.value)
    chat.check_item("any-other-key", document.encode())  # other items are not checked


def test_the_policy_and_flows_share_one_claims_language():
    policy = parse_policy("- path: /v1/flows\n  claims: {groups: [sre]}")
    assert dict(policy.rules[0].claims) == {"groups": ("sre",)}
    with pytest.raises(ValueError, match=r"claims\.groups must be a list"):
        parse_policy("- path: /v1/flows\n  claims: {groups: sre}")


# --- actor: and denied: ------------------------------------------------------------------------------


def test_a_member_of_the_group_starts_the_step():
    planned = plan(RESTART, message(user="U0ALICE"))
    assert [(a.step_id, a.input) for a in planned.actions] == [("restart", "systemctl restart api")]


def test_an_outsider_skips_the_step_with_reason_actor_and_gets_the_denied_reply():
    planned = plan(RESTART, message(user="U0EVE"))
    (outcome,) = planned.outcomes
    assert (outcome.outcome, outcome.reason) == ("skipped", "actor")
    assert "groups: sre" in outcome.detail and "U0EVE" in outcome.detail
    (reply,) = planned.actions
    assert reply.step_id == "restart#denied" and reply.name == "SendMessage"
    assert reply.input == {"channelId": "C1", "message": "sre only, <@U0EVE>"}


def test_an_event_without_a_chat_actor_never_satisfies_actor():
    planned = plan({k: v for k, v in RESTART.items() if k != "denied"}, message(actor=False))
    assert planned.outcomes[0].reason == "actor" and "no chat actor" in planned.outcomes[0].detail
    assert planned.actions == []


def test_criteria_come_before_the_actor_so_other_messages_are_not_refused():
    planned = plan(RESTART, message(text="hello", user="U0EVE"))
    assert planned.outcomes[0].reason == "criteria" and planned.actions == []


def test_a_dry_run_says_actor_for_the_chat_actor_it_is_given():
    flow = flows.parse_flow({"name": "ops", "steps": [RESTART]})
    body = {"event": {"packName": "Slack", "event": "ReceivedMessage", "payload": {"message": "flyte restart db"}}}
    for user, expected in (("U0EVE", "actor"), ("U0ALICE", None)):
        body["event"]["chatActor"] = {"user": user}
        (outcome,) = explain.dry_run(flow, explain.parse_test_input(body), render, parse_bool, claims_of)
        assert outcome.reason == expected, user


def test_replay_shows_a_step_that_an_actor_rule_would_now_skip():
    current = flows.parse_flow({"name": "ops", "steps": [{k: v for k, v in RESTART.items() if k not in ("actor", "denied")}]})
    candidate = flows.parse_flow({"name": "ops", "steps": [RESTART]})
    answer = explain.replay(
        candidate,
        current,
        [message(user="U0EVE"), message(user="U0ALICE", event_id="e2")],
        render,
        parse_bool,
        "http://x/",
        claims_of,
    )
    (change,) = answer["changes"]
    assert change["eventId"] == "e1" and change["after"]["reason"] == "actor" and answer["unchanged"] == 1


@pytest.mark.parametrize(
    ("extra", "field", "says"),
    [
        ({"actor": {"groups": "sre"}}, "steps[0].actor", "must be a list"),
        ({"denied": RESTART["denied"]}, "steps[0].denied", "give the step an 'actor'"),
        ({"actor": {"groups": ["sre"]}, "approval": {"approvers": 0}}, "steps[0].approval.approvers", "from 1 to 10"),
        ({"approval": {}}, "steps[0].approval.claims", "who may approve"),
        ({"actor": {"groups": ["sre"]}, "approval": {"timeout": "2d"}}, "steps[0].approval.timeout", "1s to 12h"),
        ({"actor": {"groups": ["sre"]}, "approval": {"selfApproval": "no"}}, "steps[0].approval.selfApproval", "true or false"),
        ({"actor": {"groups": ["sre"]}, "approval": {"aprovers": 2}}, "steps[0].approval.aprovers", "unknown key"),
    ],
)
def test_wrong_chat_rules_are_refused_naming_the_field(extra, field, says):
    step = {
        "id": "s",
        "event": {"packName": "Slack", "name": "ReceivedMessage"},
        "command": {"packName": "Shell", "name": "Shell"},
        **extra,
    }
    with pytest.raises(InvalidInput) as error:
        flows.parse_flow({"name": "ops", "steps": [step]})
    assert error.value.extra["field"] == field and says in str(error.value)


# --- approval: -----------------------------------------------------------------------------------


APPROVED_RESTART = {**{k: v for k, v in RESTART.items() if k != "denied"}, "approval": {"approvers": 2, "timeout": "30m"}}


def test_an_approval_step_stores_its_action_waiting_and_asks_in_the_thread():
    planned = plan(APPROVED_RESTART, message(user="U0ALICE"))
    (gated,) = planned.actions
    assert gated.step_id == "restart" and gated.approval == {
        "approvers": 2,
        "claims": {"groups": ["sre"]},  # the actor's claims by default
        "selfApproval": False,
        "timeout": 1800,
        "packName": "Slack",
        "channel": "C1",
        "thread": "1.1",
        "requester": {"user": "U0ALICE"},
        "expiresAt": "2026-12-07T04:30:00Z",
    }
    assert planned.outcomes[0].fired and planned.outcomes[0].as_json()["approval"]["approvers"] == 2
    command = {"packName": "Shell", "name": "Shell", "input": {"token": "****", "service": "api"}}  # as stored: masked
    ask = approvals.question(gated.id, "restart", "ops", command, gated.approval)
    assert ask["channel"] == "C1" and ask["thread_ts"] == "1.1"
    for shown in (
        "*Shell.Shell*",
        '"token": "****"',
        "2 approvals from groups: sre other than the requester",
        "04:30:00Z",
        "<@U0ALICE>",
    ):
        assert shown in ask["text"], shown
    buttons = ask["blocks"][1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(approvals.APPROVE, gated.id), (approvals.DENY, gated.id)]


def click(action_id, user, approve=True, event_id="c1", email=""):
    return Event(
        id=event_id,
        name="ReceivedInteraction",
        pack_id="Slack",
        pack_name="Slack",
        payload={"actionId": approvals.APPROVE if approve else approvals.DENY, "value": action_id},
        created_at=AT,
        received_at=AT,
        actor={"iss": "urn:flyte:stack", "sub": "slack-function", "chat": {"user": user, **({"email": email} if email else {})}},
    )


def test_an_answer_counts_only_from_an_approver_who_is_not_the_requester():
    approval = plan(APPROVED_RESTART, message(user="U0ALICE")).actions[0].approval
    for user, refused in (("U0BOB", None), ("U0ALICE", "requester"), ("U0EVE", "groups: sre")):
        clicked = click("a1", user, email="bob@example.com" if user == "U0BOB" else "")  # Bob is an sre by his email
        reason = approvals.refusal(approval, approvals.parse_answer(clicked), claims_of(clicked))
        assert (reason is None) if refused is None else refused in reason, user
    assert (
        approvals.refusal({**approval, "selfApproval": True}, approvals.parse_answer(click("a1", "U0ALICE")), {"groups": ["sre"]})
        is None
    )


def test_other_interactions_are_no_answers():
    other = Event("x", "ReceivedInteraction", "Slack", "Slack", payload={"actionId": "approve", "value": "v"})
    assert approvals.parse_answer(other) is None
    assert approvals.parse_answer(message()) is None


def test_a_refused_answer_is_on_the_timeline_with_its_reason_and_counts_for_nothing():
    answer = approvals.parse_answer(click("a1", "U0EVE", approve=False))
    entry = approvals.timeline_entry(answer, AT, "answering needs groups: sre")
    assert entry["value"] == "REFUSED" and entry["counts"] is False and entry["answer"] == "deny"
    assert entry["by"] == {"sub": "U0EVE", "chatUser": "U0EVE"} and entry["time"] == "2026-12-07T04:00:00Z"
