"""Issue 21: the authorizer of the ready long poll (moto). It hands API Gateway the pack's queue
under the take's rules - registered pack, a pack-bound token only for its own pack, no push pack -
and a peek (ReceiveMessage with VisibilityTimeout 0, what the integration does) leaves the action
for the take, which claims it once."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from flyte_core.adapters import Adapters
from flyte_core.domain import packs
from flyte_core.domain.callers import ANONYMOUS, Caller
from flyte_core.domain.delivery import Registration
from flyte_core.domain.errors import NotAllowed, NotFound, StateConflict
from flyte_core.http.ready import authorize, pack_id_of, take_path
from flyte_core.services import pack_runtime, registry

API = "http://api.test/"


def ready_event(pack_id: str, authorization: str | None = None) -> dict:
    """The payload format 2.0 event API Gateway sends a REQUEST authorizer."""
    path = f"/v1/packs/{pack_id}/actions/ready"
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeKey": "GET /v1/packs/{packId}/actions/ready",
        "rawPath": path,
        "rawQueryString": "wait=20",
        "headers": {"authorization": authorization} if authorization else {},
        "pathParameters": {"packId": pack_id},
        "identitySource": [path],
    }


@pytest.fixture
def shell(adapters) -> packs.Pack:
    return registry.register(
        adapters, packs.parse_registration({"name": "Shell", "commands": [{"name": "Do", "events": ["Done"]}]})
    )


def test_a_registered_pack_gets_its_own_queue_and_lastseen_is_refreshed_as_a_take_would(adapters, shell):
    answer = authorize(adapters, ready_event(shell.id))
    assert answer == {"isAuthorized": True, "context": {"queueUrl": shell.queue_url}}


@pytest.mark.parametrize("pack_id", ["Nobody", ""])
def test_an_unknown_pack_is_refused(adapters, shell, pack_id):
    assert authorize(adapters, ready_event(pack_id)) == {"isAuthorized": False}


def test_a_token_bound_to_another_pack_may_not_wait_for_its_actions(adapters, shell):
    other = Caller(issuer="i", subject="chat-host", bound_pack="Chat", pack_bound=True)
    with pytest.raises(NotAllowed):
        pack_runtime.ready_queue(adapters, shell.id, other)
    own = Caller(issuer="i", subject="shell-host", bound_pack="Shell", pack_bound=True)
    assert pack_runtime.ready_queue(adapters, shell.id, own) == shell.queue_url
    with pytest.raises(NotFound):
        pack_runtime.ready_queue(adapters, "Gone", ANONYMOUS)


def test_a_push_pack_has_no_queue_to_wait_on(settings, aws):
    adapters = Adapters(replace(settings, delivery_allow_loopback=True))
    wanted = packs.parse_registration({"name": "Push", "commands": [{"name": "Do", "events": ["Done"]}]})
    push = registry.register(adapters, wanted, delivery=Registration("http://127.0.0.1:9/actions", None), base=API)
    with pytest.raises(StateConflict):
        pack_runtime.ready_queue(adapters, push.id, ANONYMOUS)
    assert authorize(adapters, ready_event(push.id)) == {"isAuthorized": False}


def test_the_policy_rule_checked_is_the_takes():
    assert take_path("/v1/packs/Shell.env.prod/actions/ready") == "/v1/packs/Shell.env.prod/actions/take"
    assert take_path("/v1/packs/a%2Fb/actions/ready") == "/v1/packs/a%2Fb/actions/take"
    assert pack_id_of({"rawPath": "/v1/packs/a%2Fb/actions/ready"}) == "a/b"


def test_a_peek_leaves_the_action_for_the_take_which_claims_it_once(adapters, shell, aws):
    """What the integration sends SQS: VisibilityTimeout 0, one message; the message only holds the action id."""
    adapters.action_queues.send(shell.queue_url, "a1", "Do")
    sqs = aws.client("sqs")
    for _ in range(3):  # peeks, as many as the pack makes
        peeked = sqs.receive_message(QueueUrl=shell.queue_url, VisibilityTimeout=0, MaxNumberOfMessages=1, WaitTimeSeconds=1)
        assert [json.loads(m["Body"]) for m in peeked["Messages"]] == [{"actionId": "a1"}]
    messages = adapters.action_queues.receive(shell.queue_url, 1)  # the take's receive: hidden for the lease
    assert [m.action_id for m in messages] == ["a1"]
    again = sqs.receive_message(QueueUrl=shell.queue_url, VisibilityTimeout=0, MaxNumberOfMessages=1, WaitTimeSeconds=1)
    assert again.get("Messages", []) == []  # a taken action no longer rings the bell
