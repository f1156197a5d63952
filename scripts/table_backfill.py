"""What the backfill scripts share (scripts/backfill_*.py): the command line (a table's physical
name, the region and an endpoint), a PynamoDB model bound to that table, and the count printed."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "flyte_core"))


def bound_model(model: type[Any], table: str, region: str, endpoint: str | None) -> type[Any]:
    """`model` reading and writing the named table with the environment's AWS credentials."""
    from flyte_core.adapters.aws import Aws
    from flyte_core.settings import AwsAccess

    aws = Aws(AwsAccess(region=region, endpoint=endpoint))
    return type(model.__name__, (model,), {"Meta": aws.pynamodb_meta(table), "__module__": model.__module__})


def main(description: str, table_help: str, backfill: Callable[[str, str, str | None], int], done: str) -> None:
    """Parse the command line, run `backfill(table, region, endpoint)` and print `<count> <done>`."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table", help=table_help)
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL") or None)
    args = parser.parse_args()
    print(f"{backfill(args.table, args.region, args.endpoint_url)} {done}")
