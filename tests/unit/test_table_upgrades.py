"""Upgrades never replace a table: template.yaml's tables against the last release's
(tests/fixtures/released-tables.json, recorded by `make released-tables` when a release is cut).

A replacing change (keys, key types, local indexes, table name, a removed or renamed table) would
give the stack a new, empty table; more than one global index created or deleted per table, or an
index whose keys changed, fails the deploy. Global indexes added or removed one at a time are updates
in place, which is how the tables are meant to evolve.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from flyte_local import released_tables
from flyte_local.cfn import load_template

ROOT = Path(__file__).resolve().parents[2]
CURRENT = released_tables.tables(load_template(ROOT / "template.yaml"))
RELEASED, RETIRED = released_tables.released()


def test_no_table_of_the_last_release_is_replaced_or_fails_to_update():
    found = released_tables.problems(RELEASED, CURRENT, RETIRED)
    assert not found, "\n".join(found)


def test_the_docs_have_the_migration_path_the_messages_point_at():
    readme = (ROOT / "docs" / "operations" / "backups.md").read_text(encoding="utf-8")  # the page MIGRATION names
    assert released_tables.MIGRATION.startswith("docs/operations/backups.md")
    assert "## Changing a table's keys: a new table, filled from the old one, then a switch" in readme


def changed(edit) -> list[str]:
    current = copy.deepcopy(RELEASED)
    edit(current)
    return released_tables.problems(RELEASED, current)


def test_a_changed_key_schema_is_a_replacement_with_the_way_to_migrate():
    (line,) = changed(lambda tables: tables["DatastoreTable"].update(KeySchema=["key HASH", "version RANGE"]))
    assert line.startswith("DatastoreTable: its key schema changed")
    assert "replacing the table" in line and "a new table, filled from the old one, then a switch" in line


@pytest.mark.parametrize(
    ("edit", "what"),
    [
        (lambda t: t["FlowsTable"]["KeyTypes"].update(name="B"), "type of a key attribute"),
        (lambda t: t["FlowsTable"].update(TableName="flows"), "table name"),
        (lambda t: t["FlowsTable"]["LocalSecondaryIndexes"].update(byDate={"KeySchema": ["name HASH", "at RANGE"]}), "local"),
        (lambda t: t["FlowsTable"].update(Type="AWS::DynamoDB::GlobalTable"), "resource type"),
    ],
)
def test_other_replacing_changes(edit, what):
    (line,) = changed(edit)
    assert line.startswith("FlowsTable: its ") and what in line


def test_a_table_removed_or_renamed_is_reported_unless_retired_on_purpose():
    (line,) = changed(lambda tables: tables.update(Datastore=tables.pop("DatastoreTable")))
    assert line.startswith("DatastoreTable: the table is gone from template.yaml")
    current = {name: table for name, table in RELEASED.items() if name != "DatastoreTable"}
    assert released_tables.problems(RELEASED, current, {"DatastoreTable": "moved to DatastoreByTeamTable"}) == []


def test_one_global_index_added_or_removed_per_table_is_an_update_in_place():
    index = {"KeySchema": ["createdAt HASH"], "KeyTypes": {"createdAt": "S"}, "Projection": {"ProjectionType": "KEYS_ONLY"}}
    assert changed(lambda t: t["FlowsTable"]["GlobalSecondaryIndexes"].update(byDate=index)) == []
    assert changed(lambda t: t["PacksTable"]["GlobalSecondaryIndexes"].pop("byName")) == []

    def one_per_table(tables):
        tables["FlowsTable"]["GlobalSecondaryIndexes"]["byDate"] = index
        tables["PacksTable"]["GlobalSecondaryIndexes"].pop("byName")

    assert changed(one_per_table) == []


def test_two_global_indexes_created_or_deleted_in_one_table_fail_the_update():
    index = {"KeySchema": ["x HASH"], "KeyTypes": {"x": "S"}, "Projection": {"ProjectionType": "ALL"}}

    def rename(tables):  # a rename is a deletion and a creation
        indexes = tables["ActionsTable"]["GlobalSecondaryIndexes"]
        indexes["byFlowAndTime"] = indexes.pop("byFlow")

    (line,) = changed(rename)
    assert line.startswith("ActionsTable: 2 global secondary indexes created or deleted in one update")
    assert "created: byFlowAndTime; deleted: byFlow" in line
    (line,) = changed(lambda t: t["EventsTable"]["GlobalSecondaryIndexes"].update(a=index, b=index))
    assert "created: a, b; deleted: none" in line


def test_a_global_index_whose_keys_change_in_place_fails_the_update():
    (line,) = changed(lambda t: t["EventsTable"]["GlobalSecondaryIndexes"]["byPack"].update(KeySchema=["packName HASH"]))
    assert line.startswith("EventsTable: global secondary index byPack changed its keys or projection")
    assert "under a new index name" in line
