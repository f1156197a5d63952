"""The upgrade to the byPackShard index (issue 21, docs/scale.md "Upgrading the indexes"): give the
events stored before it their key there, so that the events audit by pack and replaying a flow edit
still find them once the next release removes the retired byPack index.

    python scripts/backfill_pack_shards.py EVENTS_TABLE [--region R] [--endpoint-url URL]

Run it once after deploying the release that adds byPackShard (it may run while the stack serves:
events stored meanwhile already have their key, and each update is conditional on the event still
having none; the updates start no matching, which takes new events only). It scans the table once
(about one read unit per 4 KB) and writes one item per old event. Events leave by TTL: skipping it
and waiting TtlInSeconds before removing byPack comes to the same. It runs with the AWS credentials
of the environment (AWS_PROFILE, ...).
"""

from __future__ import annotations

import table_backfill  # scripts/: the command line and the bound model, shared by the backfills


def backfill(table: str, region: str, endpoint: str | None) -> int:
    from flyte_core.adapters.events_table import backfill_pack_shards
    from flyte_core.adapters.models import EventModel

    return backfill_pack_shards(table_backfill.bound_model(EventModel, table, region, endpoint))


if __name__ == "__main__":
    table_backfill.main(
        __doc__,
        "the stack's events table (the EventsTable resource's physical name)",
        backfill,
        "event(s) given their byPackShard key",
    )
