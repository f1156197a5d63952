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

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "flyte_core"))


def backfill(table: str, region: str, endpoint: str | None) -> int:
    from flyte_core.adapters.aws import Aws
    from flyte_core.adapters.events_table import backfill_pack_shards
    from flyte_core.adapters.models import EventModel
    from flyte_core.settings import AwsAccess

    aws = Aws(AwsAccess(region=region, endpoint=endpoint))
    model = type("EventModel", (EventModel,), {"Meta": aws.pynamodb_meta(table), "__module__": __name__})
    return backfill_pack_shards(model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table", help="the stack's events table (the EventsTable resource's physical name)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL") or None)
    args = parser.parse_args()
    print(f"{backfill(args.table, args.region, args.endpoint_url)} event(s) given their byPackShard key")


if __name__ == "__main__":
    main()
