"""What packs call, as a service over in-memory stand-ins for the tables and queues (no AWS): the
pack is looked up and its lastSeen refreshed before the body is read, `wait` is checked, and a token
bound to one pack acts as no other (issue 19)."""

from datetime import datetime

import pytest

from flyte_core.domain.callers import ANONYMOUS, Caller
from flyte_core.domain.errors import InvalidInput, NotAllowed, NotFound
from flyte_core.domain.packs import Pack
from flyte_core.services import pack_runtime
from flyte_core.settings import Settings, TableNames


class PacksInMemory:
    def __init__(self, *packs: Pack) -> None:
        self.packs = {pack.id: pack for pack in packs}

    def touch(self, pack_id: str, at: datetime, only_named: str | None = None) -> Pack | None:
        pack = self.packs.get(pack_id)
        if pack is None or (only_named is not None and pack.name != only_named):
            return None
        pack.last_seen = at
        return pack

    def get(self, pack_id: str) -> Pack | None:
        return self.packs.get(pack_id)


class EmptyQueues:
    def __init__(self) -> None:
        self.waits: list[int] = []

    def receive(self, queue_url: str, wait_seconds: int) -> list:
        self.waits.append(wait_seconds)
        return []


class InMemoryAdapters:
    def __init__(self, *packs: Pack, take_wait_seconds: int = 0) -> None:
        self.settings = Settings(tables=TableNames(*"abcdefg"), pack_queue_prefix="p-", take_wait_seconds=take_wait_seconds)
        self.packs_table = PacksInMemory(*packs)
        self.action_queues = EmptyQueues()


def shell() -> Pack:
    return Pack(id="Shell", name="Shell", queue_url="queue://p-Shell")  # under the settings' prefix


def unread() -> tuple:
    raise AssertionError("the body was read before the pack was found")


def test_an_unregistered_pack_is_not_found_before_its_body_is_read():
    with pytest.raises(NotFound, match="register it with POST /v1/packs"):
        pack_runtime.post_event(InMemoryAdapters(), "Nobody", unread, ANONYMOUS)
    with pytest.raises(NotFound):
        pack_runtime.post_result(InMemoryAdapters(), "Nobody", "action", unread, ANONYMOUS)


def test_a_refused_body_still_counts_as_the_pack_being_seen():
    adapters = InMemoryAdapters(shell())

    def bad_body() -> tuple:
        raise InvalidInput("The event is not valid JSON")

    with pytest.raises(InvalidInput):
        pack_runtime.post_event(adapters, "Shell", bad_body, ANONYMOUS)
    assert adapters.packs_table.packs["Shell"].last_seen is not None


@pytest.mark.parametrize(
    "wait, detail", [("21", "from 0 to 20 seconds, got 21"), ("-1", "got -1"), ("soon", "whole number of seconds from 0 to 20")]
)
def test_take_refuses_a_wait_outside_what_sqs_can_hold(wait, detail):
    with pytest.raises(InvalidInput, match=detail) as refused:
        pack_runtime.take(InMemoryAdapters(shell()), "Shell", wait, None, ANONYMOUS)
    assert refused.value.extra == {"field": "wait"}


def test_take_without_wait_long_polls_for_the_configured_default():
    adapters = InMemoryAdapters(shell(), take_wait_seconds=0)
    pack, action = pack_runtime.take(adapters, "Shell", None, None, ANONYMOUS)
    assert (pack.id, action, adapters.action_queues.waits) == ("Shell", None, [0])


SLACK_TOKEN = Caller(issuer="urn:flyte:test", subject="slack-pack", bound_pack="Slack", pack_bound=True)


@pytest.mark.parametrize(
    "call, doing",
    [
        (lambda adapters: pack_runtime.post_event(adapters, "Shell", unread, SLACK_TOKEN), "post events as"),
        (lambda adapters: pack_runtime.take(adapters, "Shell", "0", None, SLACK_TOKEN), "take the actions of"),
        (lambda adapters: pack_runtime.post_result(adapters, "Shell", "a1", unread, SLACK_TOKEN), "post the results of"),
    ],
)
def test_a_token_bound_to_one_pack_cannot_act_as_another_and_leaves_no_trace(call, doing):
    adapters = InMemoryAdapters(shell())
    with pytest.raises(NotAllowed, match=f"bound to pack 'Slack'; it may not {doing} pack 'Shell'") as refused:
        call(adapters)
    assert refused.value.extra == {"boundPack": "Slack", "pack": "Shell"}
    assert adapters.packs_table.packs["Shell"].last_seen is None  # not even seen: nothing was written


def test_a_token_bound_to_a_pack_acts_as_that_pack_whatever_its_labels():
    labelled = Pack(id="Slack.env.prod", name="Slack", labels={"env": "prod"}, queue_url="queue://p-Slack")
    pack, action = pack_runtime.take(InMemoryAdapters(labelled), "Slack.env.prod", "0", None, SLACK_TOKEN)
    assert (pack.id, action) == ("Slack.env.prod", None)


def test_a_bound_token_asking_for_a_missing_pack_is_told_it_is_missing():
    with pytest.raises(NotFound, match="No pack 'Nobody'"):
        pack_runtime.take(InMemoryAdapters(shell()), "Nobody", "0", None, SLACK_TOKEN)


def test_a_pack_claim_that_is_no_name_binds_the_token_to_nothing():
    odd = Caller.from_claims({"iss": "i", "sub": "s", "flyte_pack": ["Shell", "Slack"]})
    with pytest.raises(NotAllowed, match="bound to no usable pack"):
        pack_runtime.take(InMemoryAdapters(shell()), "Shell", "0", None, odd)
