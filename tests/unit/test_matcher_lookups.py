"""The step matcher's caches (issue 21) without AWS: what they keep, for how long, and when they do
not keep anything (outside a batch, a backstop age, a packs index that may still lag a change)."""

from __future__ import annotations

from datetime import timedelta

from flyte_core.adapters.lookups import Lookups
from flyte_core.adapters.table_versions import Version
from flyte_core.domain import times


class Marker:
    def __init__(self) -> None:
        self.version = Version("a", times.now() - timedelta(hours=1))

    def read(self) -> Version:
        return self.version


class Tables:
    """Both tables at once: counts the lookups that reached them."""

    def __init__(self) -> None:
        self.triggers_version, self.version = Marker(), Marker()
        self.loads: list[str] = []

    def triggered_by(self, pack_name: str, event_name: str) -> list[tuple[str, str]]:
        self.loads.append("triggers")
        return [("flow", "uuid")]

    def with_name(self, name: str) -> list[str]:
        self.loads.append("packs")
        return [name]


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def lookups(tables: Tables, clock: Clock | None = None) -> Lookups:
    return Lookups(tables, tables, clock=clock or Clock())  # type: ignore[arg-type]


def batch(cache: Lookups, records: int = 2) -> None:
    cache.begin_batch(records)
    cache.triggered_by("Src", "E")
    cache.packs_named("Dst")
    cache.end_batch()


def test_outside_a_batch_every_lookup_reads_the_table():
    tables = Tables()
    cache = lookups(tables)
    for _ in range(2):
        cache.triggered_by("Src", "E")
        cache.packs_named("Dst")
    assert tables.loads == ["triggers", "packs"] * 2


def test_a_lookup_is_kept_across_batches_until_its_marker_changes():
    tables = Tables()
    cache = lookups(tables)
    batch(cache)
    batch(cache)
    assert tables.loads == ["triggers", "packs"]
    tables.triggers_version.version = Version("b", times.now() - timedelta(hours=1))
    batch(cache)
    assert tables.loads == ["triggers", "packs", "triggers"]  # only the changed table is read again


def test_a_lookup_older_than_the_backstop_age_is_read_again():
    tables, clock = Tables(), Clock()
    cache = lookups(tables, clock)
    batch(cache)
    clock.now += 29
    batch(cache)
    assert len(tables.loads) == 2
    clock.now += 2
    batch(cache)
    assert len(tables.loads) == 4


def test_packs_are_not_kept_while_their_index_may_lag_a_change():
    tables = Tables()
    cache = lookups(tables)
    tables.version.version = Version("b", times.now())  # a pack registered just now
    batch(cache)
    batch(cache)
    assert tables.loads.count("packs") == 2 and tables.loads.count("triggers") == 1
    tables.version.version = Version("b", times.now() - timedelta(seconds=6))  # the index has caught up
    batch(cache)
    batch(cache)
    assert tables.loads.count("packs") == 3


def test_a_trickle_of_lone_records_reads_the_tables_as_before_the_caches():
    """One record now and then (an environment idle for the backstop age): the markers' read would be
    a request more per event for nothing kept, so such a batch reads the tables directly."""
    tables, clock = Tables(), Clock()
    cache = lookups(tables, clock)
    reads = lambda: cache.triggers.reads + cache.packs.reads  # noqa: E731
    for _ in range(3):
        batch(cache, records=1)
        clock.now += 60
    assert (len(tables.loads), reads()) == (6, 0)
    batch(cache, records=1)
    for _ in range(2):  # more lone records soon after: the environment is busy, it keeps its lookups
        clock.now += 1
        batch(cache, records=1)
    assert (len(tables.loads), reads()) == (10, 4)  # the second read the markers and filled, the third hit
