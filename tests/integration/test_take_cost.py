"""Issue 21: what a pack's poll costs. A take parks its whole `wait` (a take that returned a second
early costs the pack one more request and invocation per poll), and a pack's calls write its
lastSeen at most once a minute, not once per poll (moto; the AWS requests are counted)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest

from flyte_core.domain import packs, times
from flyte_core.domain.callers import ANONYMOUS
from flyte_core.services import pack_runtime, registry


@pytest.fixture
def shell(adapters) -> packs.Pack:
    return registry.register(adapters, packs.parse_registration({"name": "Shell", "labels": {}, "commands": []}))


@pytest.fixture
def packs_requests(adapters) -> Iterator[Counter]:
    """The DynamoDB operations sent to the packs table, by name."""
    counted: Counter = Counter()
    client = adapters.models.packs._get_connection().connection.client

    def count(model: str = "", params: dict | None = None, **_: object) -> None:
        counted[model.name] += 1  # type: ignore[attr-defined]

    client.meta.events.register("before-call.dynamodb", count)
    yield counted
    client.meta.events.unregister("before-call.dynamodb", count)


@pytest.mark.parametrize("wait", [1, 2])
def test_an_empty_take_parks_its_whole_wait_and_not_a_second_less(adapters, shell, wait):
    started = time.monotonic()
    pack, action = pack_runtime.take(adapters, shell.id, str(wait), None, ANONYMOUS)
    parked = time.monotonic() - started
    assert action is None and pack.id == shell.id
    assert wait <= parked < wait + 1.5


def test_polls_within_a_minute_write_last_seen_once(adapters, shell, packs_requests):
    """Registration wrote lastSeen; polls during the next minute only read the pack."""
    for _ in range(5):
        pack_runtime.take(adapters, shell.id, "0", None, ANONYMOUS)
    assert packs_requests == Counter(GetItem=5)
    assert adapters.packs_table.get(shell.id).last_seen == shell.last_seen


def test_a_call_more_than_a_minute_after_the_last_write_refreshes_last_seen(adapters, shell, packs_requests):
    later = times.now() + timedelta(seconds=61)
    assert adapters.packs_table.touch(shell.id, later).last_seen == later
    assert adapters.packs_table.get(shell.id).last_seen == later
    # polls at once (threads of one pack, several environments): the first writes, the rest find it fresh
    assert adapters.packs_table.touch(shell.id, later + timedelta(seconds=1)).last_seen == later
    assert packs_requests == Counter(GetItem=3, UpdateItem=1)


def test_a_stale_read_loses_its_write_quietly_to_a_fresher_one(adapters, shell):
    """Two environments read a stale lastSeen at once; the one that writes second finds its condition
    false and writes nothing (lastSeen never goes back in time)."""
    first, second = times.now() + timedelta(seconds=90), times.now() + timedelta(seconds=70)
    adapters.packs_table.touch(shell.id, first)
    assert adapters.packs_table.touch(shell.id, second).last_seen == first
    assert adapters.packs_table.get(shell.id).last_seen == first
