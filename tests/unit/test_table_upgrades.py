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
TEMPLATE = load_template(ROOT / "template.yaml")
RELEASED, RETIRED = released_tables.released()


def test_no_table_of_the_last_release_is_replaced_or_fails_to_update():
    found = released_tables.upgrade_problems(RELEASED, TEMPLATE, RETIRED)
    assert not found, "\n".join(found)


def test_a_new_stack_gets_every_index_and_an_upgrading_one_gets_them_in_two_deploys():
    first, complete = released_tables.tables(TEMPLATE, "first"), released_tables.tables(TEMPLATE, "complete")
    assert released_tables.tables(TEMPLATE) == complete  # the parameter's default: everything at once
    assert set(complete["EventsTable"]["GlobalSecondaryIndexes"]) - set(first["EventsTable"]["GlobalSecondaryIndexes"]) == {
        "byTime"
    }
    assert complete["EventsTable"]["GlobalSecondaryIndexes"]["byTime"]["KeyTypes"] == {"timeShard": "S", "receivedAt": "S"}


def steps_template(events_indexes: list, step_indexes: list) -> dict:
    """A template whose EventsTable has `events_indexes`, and `step_indexes` only with IndexUpgradeStep=complete."""
    template = copy.deepcopy(TEMPLATE)
    properties = template["Resources"]["EventsTable"]["Properties"]
    conditional = [{"Fn::If": ["IndexUpgradeComplete", index, {"Ref": "AWS::NoValue"}]} for index in step_indexes]
    properties["GlobalSecondaryIndexes"] = events_indexes + conditional
    properties["AttributeDefinitions"] += [{"AttributeName": "x", "AttributeType": "S"}]
    return template


def new_index(name: str) -> dict:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }


def released_events_index() -> list:
    return [
        {
            "IndexName": "byPack",
            "KeySchema": [{"AttributeName": "packName", "KeyType": "HASH"}, {"AttributeName": "receivedAt", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]


def test_two_indexes_added_to_a_table_in_one_deploy_are_reported_with_the_way_out():
    (line,) = released_tables.upgrade_problems(
        RELEASED, steps_template([*released_events_index(), new_index("a"), new_index("b")], [])
    )
    assert line.startswith("deploy IndexUpgradeStep=first over the released tables: EventsTable: 2 global secondary indexes")
    assert "created: a, b; deleted: none" in line and "IndexUpgradeStep parameter's condition" in line
    # both under the condition: the second deploy adds two
    (line,) = released_tables.upgrade_problems(
        RELEASED, steps_template(released_events_index(), [new_index("a"), new_index("b")])
    )
    assert line.startswith("deploy IndexUpgradeStep=complete after the first: EventsTable: 2 global secondary indexes")


def test_two_indexes_added_to_a_table_over_the_two_deploys_pass():
    template = steps_template([*released_events_index(), new_index("a")], [new_index("b")])
    assert released_tables.upgrade_problems(RELEASED, template) == []
    assert set(released_tables.tables(template, "first")["EventsTable"]["GlobalSecondaryIndexes"]) == {"byPack", "a"}


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
