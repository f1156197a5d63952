"""The upgrade to the byPackShard and byTime indexes of the events (issue 21, docs/scale.md
"Upgrading the indexes"): give the events stored before them their keys there, so that the events
audit by pack and replaying a flow edit still find them once the next release removes the retired
byPack index, and the events audit without a pack lists them (byTime).

    python scripts/backfill_pack_shards.py EVENTS_TABLE [--region R] [--endpoint-url URL]

Run it once per upgrade, best between the two deploys of an upgrading stack (IndexUpgradeStep=first,
then complete): every event stored since the first has both keys, so byTime is complete when the
second creates it. Run after the second, the events audit without a pack misses the older events
until it ends. It may run while the stack serves: each update is conditional on the event still
lacking a key, and the updates start no matching, which takes new events only. It scans the table
once (about one read unit per 4 KB) and writes one item per old event. Without it the older events
are missing from the audit without a pack, and from the one by pack once byPack is removed, until
they expire (TtlInSeconds). It runs with the AWS credentials of the environment (AWS_PROFILE, ...).
"""

from __future__ import annotations

import table_backfill  # scripts/: the command line and the bound model, shared by the backfills


def backfill(table: str, region: str, endpoint: str | None) -> int:
    from flyte_core.adapters.events_table import backfill_event_keys
    from flyte_core.adapters.models import EventModel

    return backfill_event_keys(table_backfill.bound_model(EventModel, table, region, endpoint))


if __name__ == "__main__":
    table_backfill.main(
        __doc__,
        "the stack's events table (the EventsTable resource's physical name)",
        backfill,
        "event(s) given their byPackShard and byTime keys",
    )
