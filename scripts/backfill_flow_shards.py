"""The upgrade to the byFlowShard and byTime indexes (issue 21, docs/scale.md "Upgrading the
indexes"): give the actions written before them their keys there, so that the audit filtered by flow
still finds them once the next release removes the retired byFlow index, and the audit's list
without a flow (read from byTime once it is built) shows them.

    python scripts/backfill_flow_shards.py ACTIONS_TABLE [--region R] [--endpoint-url URL]

Run it once after deploying each release that adds one of them (it may run while the stack serves:
actions created meanwhile already have their keys, and each update is conditional on the action
still lacking one). It scans the table once (about one read unit per 4 KB) and writes one item per old
action. It runs with the AWS credentials of the environment (AWS_PROFILE, ...).
"""

from __future__ import annotations

import table_backfill  # scripts/: the command line and the bound model, shared by the backfills


def backfill(table: str, region: str, endpoint: str | None) -> int:
    from flyte_core.adapters.actions_table import backfill_flow_shards
    from flyte_core.adapters.models import ActionModel

    return backfill_flow_shards(table_backfill.bound_model(ActionModel, table, region, endpoint))


if __name__ == "__main__":
    table_backfill.main(
        __doc__,
        "the stack's actions table (the ActionsTable resource's physical name)",
        backfill,
        "action(s) given their byFlowShard and byTime keys",
    )
