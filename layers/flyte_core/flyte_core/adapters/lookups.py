"""The step matcher's short caches (issue 21): which flows an event starts, and the packs of a name.

Without them every event costs a query of the flow triggers and every action a query of the packs'
`byName` index. Inside a batch (`begin_batch`, which the step matcher's handler calls) a lookup is
kept while the version marker of its table (`table_versions`) is unchanged: the markers of both
tables are read once per batch, strongly consistent, in one BatchGetItem on the batch's first lookup. So a flow
saved or deleted, or a pack registered or removed, applies to the first event posted after that call
returned (its batch reads the marker after the change). A naive time-to-live cache would not do that.

- Flow triggers are read from the table itself, strongly consistent: kept at once.
- Packs are read through the `byName` index, which lags the table by a moment: while the packs'
  marker changed less than `settle` seconds ago nothing is kept, each lookup queries the index as
  before caching (so a lagging answer is not kept for the rest of the version).
- `max_age` is a backstop: a lookup older than that is read again whatever the marker says.

Outside a batch (every other function, and the pipeline's other callers) lookups go to the tables,
and so does a batch of one record in an environment that had no batch for `max_age` (a trickle of
events: nothing kept would still be fresh, and the markers' read would be a request more per event).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..domain import times
from .table_versions import TableVersion, Version

if TYPE_CHECKING:
    from ..domain.packs import Pack
    from .flows_table import FlowsTable
    from .packs_table import PacksTable

MAX_AGE_SECONDS = 30.0
SETTLE_SECONDS = 5.0  # how long the packs' byName index may lag a registration (DynamoDB: "usually a fraction of a second")
MAX_ENTRIES = 4096


class _Cache:
    """Lookups of one table, kept under the marker token they were read under."""

    def __init__(self, version: TableVersion, settle: float, max_age: float, clock: Callable[[], float]) -> None:
        self.version, self.settle, self.max_age, self.clock = version, settle, max_age, clock
        self.token: str | None = None
        self.entries: dict[Any, tuple[float, Any]] = {}
        self.reads = 0  # marker reads, for tests and benches

    def seen(self, version: Version) -> Version:
        """The marker as a batch read it: a new token drops every entry kept under the old one."""
        self.reads += 1
        if version.token != self.token:
            self.entries.clear()
            self.token = version.token
        return version

    def get(self, marker: Version, key: Any, load: Callable[[], Any]) -> Any:
        if self.settle and marker.changed_at is not None and times.now() - marker.changed_at < timedelta(seconds=self.settle):
            return load()  # the index may still lag the change: read it, keep nothing
        now = self.clock()
        found = self.entries.get(key)
        if found is not None and now - found[0] < self.max_age and self.token == marker.token:
            return found[1]
        value = load()
        if self.token == marker.token:
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.pop(next(iter(self.entries)))
            self.entries[key] = (now, value)
        return value


class Lookups:
    def __init__(
        self,
        flows_table: FlowsTable,
        packs_table: PacksTable,
        dynamodb: Any = None,
        max_age: float = MAX_AGE_SECONDS,
        settle: float = SETTLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._flows_table, self._packs_table, self._dynamodb = flows_table, packs_table, dynamodb
        self.triggers = _Cache(flows_table.triggers_version, 0.0, max_age, clock)
        self.packs = _Cache(packs_table.version, settle, max_age, clock)
        self._batch = threading.local()  # the markers this thread's current batch has read
        self._clock, self._max_age = clock, max_age
        self._last_batch: float | None = None

    def begin_batch(self, records: int) -> None:
        """A new stream batch of `records`: its first lookup reads the markers again.

        A lone record in an environment that has had no batch for `max_age` would pay the markers'
        read and find nothing kept: such a batch reads the tables directly, as before the caches, so
        a trickle of events costs no request more than it did."""
        now = self._clock()
        busy = self._last_batch is not None and now - self._last_batch < self._max_age
        self._last_batch = now
        self._batch.__dict__.clear()
        self._batch.active = records >= 2 or busy

    def end_batch(self) -> None:
        self._batch.__dict__.clear()

    def _active(self) -> bool:
        return bool(getattr(self._batch, "active", False))

    def _markers(self) -> tuple[Version, Version]:
        """Both markers as this batch read them: on its first lookup, one strongly consistent
        BatchGetItem over both tables (an event's trigger lookup is mostly followed by a packs lookup)."""
        seen = getattr(self._batch, "markers", None)
        if seen is None:
            triggers, packs = self.triggers.version, self.packs.version
            if self._dynamodb is None:
                read = (triggers.read(), packs.read())
            else:
                read = self._read_both(triggers, packs)
            seen = (self.triggers.seen(read[0]), self.packs.seen(read[1]))
            self._batch.markers = seen
        return seen

    def _read_both(self, triggers: TableVersion, packs: TableVersion) -> tuple[Version, Version]:
        request = {v.table_name: {"Keys": [v.key()], "ConsistentRead": True} for v in (triggers, packs)}
        response = self._dynamodb.batch_get_item(RequestItems=request)
        items = response.get("Responses", {})
        unprocessed = response.get("UnprocessedKeys") or {}

        def version_of(marker: TableVersion) -> Version:
            if marker.table_name in unprocessed:  # throttled: read it alone (the SDK retries that)
                return marker.read()
            found = items.get(marker.table_name) or [None]
            return marker.from_item(found[0])

        return version_of(triggers), version_of(packs)

    def triggered_by(self, pack_name: str, event_name: str) -> list[tuple[str, str]]:
        """(flow name, version uuid) of the current flows this event starts (FlowsTable.triggered_by)."""
        load = lambda: self._flows_table.triggered_by(pack_name, event_name)  # noqa: E731
        if not self._active():
            return load()
        return list(self.triggers.get(self._markers()[0], (pack_name, event_name), load))

    def packs_named(self, name: str) -> list[Pack]:
        """The registered packs of a name (PacksTable.with_name)."""
        load = lambda: self._packs_table.with_name(name)  # noqa: E731
        if not self._active():
            return load()
        return list(self.packs.get(self._markers()[1], name, load))
