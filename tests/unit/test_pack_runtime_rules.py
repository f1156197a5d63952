"""What packs call, as a service over in-memory stand-ins for the tables and queues (no AWS): the
pack is looked up and its lastSeen refreshed before the body is read, and `wait` is checked."""

from datetime import datetime

import pytest

from flyte_core.domain.errors import InvalidInput, NotFound
from flyte_core.domain.packs import Pack
from flyte_core.services import pack_runtime
from flyte_core.settings import Settings, TableNames


class PacksInMemory:
    def __init__(self, *packs: Pack) -> None:
        self.packs = {pack.id: pack for pack in packs}

    def touch(self, pack_id: str, at: datetime) -> Pack | None:
        pack = self.packs.get(pack_id)
        if pack is not None:
            pack.last_seen = at
        return pack


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
        pack_runtime.post_event(InMemoryAdapters(), "Nobody", unread)
    with pytest.raises(NotFound):
        pack_runtime.post_result(InMemoryAdapters(), "Nobody", "action", unread)


def test_a_refused_body_still_counts_as_the_pack_being_seen():
    adapters = InMemoryAdapters(shell())

    def bad_body() -> tuple:
        raise InvalidInput("The event is not valid JSON")

    with pytest.raises(InvalidInput):
        pack_runtime.post_event(adapters, "Shell", bad_body)
    assert adapters.packs_table.packs["Shell"].last_seen is not None


@pytest.mark.parametrize(
    "wait, detail", [("21", "from 0 to 20 seconds, got 21"), ("-1", "got -1"), ("soon", "whole number of seconds from 0 to 20")]
)
def test_take_refuses_a_wait_outside_what_sqs_can_hold(wait, detail):
    with pytest.raises(InvalidInput, match=detail) as refused:
        pack_runtime.take(InMemoryAdapters(shell()), "Shell", wait, None)
    assert refused.value.extra == {"field": "wait"}


def test_take_without_wait_long_polls_for_the_configured_default():
    adapters = InMemoryAdapters(shell(), take_wait_seconds=0)
    pack, action = pack_runtime.take(adapters, "Shell", None, None)
    assert (pack.id, action, adapters.action_queues.waits) == ("Shell", None, [0])
