"""The DynamoDB tables of the last release, and the changes to them that CloudFormation carries out
by replacing a table (a new, empty table; the old one deleted, or orphaned when retained) or that
make an update fail.

An upgrading stack may take a release in two deploys (the template's IndexUpgradeStep parameter:
`first`, then `complete`, docs/operations/upgrading.md), so each of the two is checked
(upgrade_problems).

Replacing: a changed key schema, a changed type of a key attribute, local secondary indexes added,
removed or changed, a table name set, changed or removed, another resource type, and a table
resource removed or renamed (its logical id is its identity: a new id is a new table). Failing: more
than one global secondary index created or deleted per table in one update, and a changed key
schema, key type or projection of an existing one (CloudFormation cannot modify an index; a new
name is a new index). Everything else (billing, streams, TTL, PITR, GSIs added or removed one at a
time) is updated in place.

tests/fixtures/released-tables.json holds the tables of the last release; tests/unit/
test_table_upgrades.py fails on a replacing or failing change. When a release is cut, record its
tables (`make released-tables`); a table removed on purpose after its data moved elsewhere is listed
in the fixture's `retired` by hand:

    python -m flyte_local.released_tables --write --release v1.2.0
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .application import ROOT, TEMPLATE
from .cfn import TABLE_TYPES, load_template, table_properties

FIXTURE = ROOT / "tests" / "fixtures" / "released-tables.json"
# The template parameter that lets an upgrading stack create a release's indexes in two deploys, one
# index per table each (docs/scale.md "Upgrading the indexes"): `first`, then `complete` (the default).
UPGRADE_STEP = "IndexUpgradeStep"
MIGRATION = "docs/operations/backups.md, 'Changing a table's keys: a new table, filled from the old one, then a switch'"


def _keys(key_schema: list[dict[str, str]]) -> list[str]:
    return [f"{entry['AttributeName']} {entry['KeyType']}" for entry in key_schema or []]


def _types(properties: dict[str, Any], key_schema: list[dict[str, str]]) -> dict[str, str]:
    declared = {entry["AttributeName"]: entry["AttributeType"] for entry in properties.get("AttributeDefinitions") or []}
    return {entry["AttributeName"]: declared.get(entry["AttributeName"], "?") for entry in key_schema or []}


def _index(properties: dict[str, Any], index: dict[str, Any]) -> dict[str, Any]:
    return {
        "KeySchema": _keys(index["KeySchema"]),
        "KeyTypes": _types(properties, index["KeySchema"]),
        "Projection": {
            "ProjectionType": (index.get("Projection") or {}).get("ProjectionType", "KEYS_ONLY"),
            "NonKeyAttributes": sorted((index.get("Projection") or {}).get("NonKeyAttributes") or []),
        },
    }


def tables(template: dict[str, Any], step: str | None = None) -> dict[str, dict[str, Any]]:
    """What CloudFormation replaces a table for, and its global secondary indexes, per logical id, as
    the template deploys them at this IndexUpgradeStep (None: its default, the whole release)."""
    found = {}
    resolved = table_properties(template, {UPGRADE_STEP: step} if step else None)
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") not in TABLE_TYPES:
            continue
        properties = resolved[logical_id]
        found[logical_id] = {
            "Type": resource["Type"],
            "TableName": properties.get("TableName"),
            "KeySchema": _keys(properties["KeySchema"]),
            "KeyTypes": _types(properties, properties["KeySchema"]),
            "LocalSecondaryIndexes": {
                index["IndexName"]: _index(properties, index) for index in properties.get("LocalSecondaryIndexes") or []
            },
            "GlobalSecondaryIndexes": {
                index["IndexName"]: _index(properties, index) for index in properties.get("GlobalSecondaryIndexes") or []
            },
        }
    return found


def problems(
    released: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]], retired: dict[str, str] | None = None
) -> list[str]:
    """Every change from the released tables that replaces a table or fails the update, one line each.
    `retired` names released tables removed on purpose (after a migration), each with the reason."""
    found = []
    for logical_id, before in released.items():
        after = current.get(logical_id)
        if after is None and logical_id in (retired or {}):
            continue
        if after is None:
            found.append(
                f"{logical_id}: the table is gone from template.yaml. Removing or renaming a table resource "
                f"makes the stack stop using it (it is retained, orphaned) and, if renamed, start on a new "
                f"empty table: every item in it is lost to the API. Migrate instead: {MIGRATION}."
            )
            continue
        for field, what in (
            ("Type", "resource type"),
            ("TableName", "table name"),
            ("KeySchema", "key schema"),
            ("KeyTypes", "type of a key attribute"),
            ("LocalSecondaryIndexes", "local secondary indexes"),
        ):
            if before[field] != after[field]:
                found.append(
                    f"{logical_id}: its {what} changed ({json.dumps(before[field])} -> {json.dumps(after[field])}). "
                    f"CloudFormation does that by replacing the table: a new, empty one. Migrate instead: {MIGRATION}."
                )
        found += _index_problems(logical_id, before["GlobalSecondaryIndexes"], after["GlobalSecondaryIndexes"])
    return found


def _index_problems(logical_id: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    found = []
    changed = sorted(name for name in set(before) & set(after) if before[name] != after[name])
    for name in changed:
        found.append(
            f"{logical_id}: global secondary index {name} changed its keys or projection "
            f"({json.dumps(before[name])} -> {json.dumps(after[name])}). CloudFormation cannot modify an "
            "index and the update fails: add the new definition under a new index name in one release, "
            "move the code onto it, and remove the old index in the next."
        )
    added, removed = sorted(set(after) - set(before)), sorted(set(before) - set(after))
    if len(added) + len(removed) > 1:
        found.append(
            f"{logical_id}: {len(added) + len(removed)} global secondary indexes created or deleted in one update "
            f"(created: {', '.join(added) or 'none'}; deleted: {', '.join(removed) or 'none'}). DynamoDB creates "
            "or deletes one per table per update, and the deploy fails: spread them over releases, one each, or "
            f"over the two deploys of one: put all but one under the {UPGRADE_STEP} parameter's condition "
            '(IndexUpgradeComplete; docs/scale.md "Upgrading the indexes").'
        )
    return found


def upgrade_problems(
    released: dict[str, dict[str, Any]], template: dict[str, Any], retired: dict[str, str] | None = None
) -> list[str]:
    """Every replacing or failing change on an upgrading stack's way from the released tables: the
    deploy with IndexUpgradeStep=first, then the one with `complete` (a new stack deploys `complete`
    at once: nothing to update). Each line says which deploy fails."""
    first, complete = tables(template, "first"), tables(template, "complete")
    found = [f"deploy {UPGRADE_STEP}=first over the released tables: {line}" for line in problems(released, first, retired)]
    found += [f"deploy {UPGRADE_STEP}=complete after the first: {line}" for line in problems(first, complete)]
    return found


def render(release: str, template_path: Path = TEMPLATE) -> str:
    document = {"release": release, "tables": tables(load_template(template_path))}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def released() -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The last release's tables, and those retired since on purpose: a table removed after its data
    moved to another is listed by hand in the fixture's `retired` ({logical id: why}) in that release."""
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return document["tables"], document.get("retired") or {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"record template.yaml's tables in {FIXTURE} (default: print)")
    parser.add_argument("--template", type=Path, default=TEMPLATE, help="the template of the release (default: template.yaml)")
    parser.add_argument("--release", required=True, help="what the release is called (a version, a tag, a commit)")
    arguments = parser.parse_args()
    text = render(arguments.release, arguments.template)
    if arguments.write:
        FIXTURE.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
