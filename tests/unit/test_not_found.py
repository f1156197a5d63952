"""Every "get or 404" goes through one rule (errors.found): the services name what is missing, over
in-memory stand-ins for the tables (no AWS)."""

from types import SimpleNamespace

import pytest

from flyte_core.domain.callers import ANONYMOUS
from flyte_core.domain.errors import NotFound, found
from flyte_core.services import audit, datastore, flows, registry


class Nothing:
    """A table that holds nothing: every read misses, every conditional delete finds no item."""

    def get(self, key):
        return None

    current = version = get

    def delete(self, key):
        return False

    def execution_records(self, correlation_id):
        return [], []


EMPTY = SimpleNamespace(flows_table=Nothing(), datastore_table=Nothing(), packs_table=Nothing(), actions_table=Nothing())


def test_found_returns_what_exists_and_names_what_does_not():
    assert found(0, "never raised for a falsy value") == 0
    with pytest.raises(NotFound, match=r"No thing 'x'\."):
        found(None, "No thing 'x'.")


@pytest.mark.parametrize(
    "call, detail",
    [
        (lambda: flows.current(EMPTY, "deploy"), "No flow named 'deploy'."),
        (lambda: flows.delete(EMPTY, "deploy", ANONYMOUS.record()), "No flow named 'deploy'."),
        (lambda: datastore.item(EMPTY, "teams"), "No datastore item 'teams'."),
        (lambda: datastore.delete(EMPTY, "teams", ANONYMOUS.record()), "No datastore item 'teams'."),
        (lambda: registry.pack(EMPTY, "Slack"), "No pack 'Slack' is registered."),
        (lambda: audit.execution(EMPTY, "c0ffee"), "No flow execution 'c0ffee'."),
    ],
)
def test_each_missing_resource_is_named(call, detail):
    with pytest.raises(NotFound) as missing:
        call()
    assert missing.value.detail == detail
