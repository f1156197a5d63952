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

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "flyte_core"))


def backfill(table: str, region: str, endpoint: str | None) -> int:
    from flyte_core.adapters.actions_table import backfill_flow_shards
    from flyte_core.adapters.aws import Aws
    from flyte_core.adapters.models import ActionModel
    from flyte_core.settings import AwsAccess

    aws = Aws(AwsAccess(region=region, endpoint=endpoint))
    model = type("ActionModel", (ActionModel,), {"Meta": aws.pynamodb_meta(table), "__module__": __name__})
    return backfill_flow_shards(model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table", help="the stack's actions table (the ActionsTable resource's physical name)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL") or None)
    args = parser.parse_args()
    print(f"{backfill(args.table, args.region, args.endpoint_url)} action(s) given their byFlowShard and byTime keys")


if __name__ == "__main__":
    main()
