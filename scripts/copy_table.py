"""Copy every item of one DynamoDB table into another: a table restored from point-in-time recovery
back into the stack's table, or an old table into its replacement (README: Backup, restore and
moving in). Items are copied as they are (attribute names, types and binary values unchanged).

    python scripts/copy_table.py SOURCE_TABLE TARGET_TABLE [--missing-only] [--region R] [--endpoint-url URL]

`--missing-only` writes only the items the target does not have (by the target's key), so items
changed since the backup are kept; without it the source's items replace the target's. It runs with
the AWS credentials of the environment (AWS_PROFILE, ...) and reads the source with consistent
reads, one page at a time.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3
from botocore.exceptions import ClientError


def copy(dynamodb: Any, source: str, target: str, missing_only: bool = False, report: Any = None) -> tuple[int, int]:
    """Copies source into target; returns (items written, items skipped because the target had them)."""
    keys = [entry["AttributeName"] for entry in dynamodb.describe_table(TableName=target)["Table"]["KeySchema"]]
    written = skipped = 0
    pages = dynamodb.get_paginator("scan").paginate(TableName=source, ConsistentRead=True)
    for page in pages:
        items = page["Items"]
        if missing_only:
            for item in items:
                missing = " AND ".join(f"attribute_not_exists(#k{index})" for index in range(len(keys)))
                names = {f"#k{index}": key for index, key in enumerate(keys)}
                try:
                    dynamodb.put_item(TableName=target, Item=item, ConditionExpression=missing, ExpressionAttributeNames=names)
                    written += 1
                except ClientError as error:
                    if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                        raise
                    skipped += 1
        else:
            for start in range(0, len(items), 25):
                _write_batch(dynamodb, target, items[start : start + 25])
            written += len(items)
        if report:
            report(f"{written} written, {skipped} kept")
    return written, skipped


def _write_batch(dynamodb: Any, target: str, items: list[dict[str, Any]]) -> None:
    requests: Any = {target: [{"PutRequest": {"Item": item}} for item in items]}
    while requests:  # DynamoDB may leave some unprocessed under load: they are sent again
        requests = dynamodb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="the table to read (e.g. the one restored from point-in-time recovery)")
    parser.add_argument("target", help="the table to write (e.g. the stack's table)")
    parser.add_argument("--missing-only", action="store_true", help="write only items the target does not have")
    parser.add_argument("--region", help="the tables' region (default: the environment's)")
    parser.add_argument("--endpoint-url", help="another DynamoDB endpoint (a local one)")
    arguments = parser.parse_args(argv)
    dynamodb = boto3.client("dynamodb", region_name=arguments.region, endpoint_url=arguments.endpoint_url)
    try:
        written, skipped = copy(
            dynamodb,
            arguments.source,
            arguments.target,
            arguments.missing_only,
            report=lambda line: print(line, file=sys.stderr),
        )
    except ClientError as error:
        print(f"copy_table: {error}", file=sys.stderr)
        return 1
    print(f"Copied {arguments.source} into {arguments.target}: {written} items written, {skipped} kept as they were.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
