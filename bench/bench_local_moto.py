"""The local moto server's CPU per DynamoDB request (issue 28): moto's Flask apps as moto makes them
(debug mode on) against the local stack's (flyte_local.moto_server.out_of_debug_mode).

    python bench/bench_local_moto.py [--requests 2000]

Each side serves the same requests in this process, through werkzeug's test client (the WSGI app the
local moto server runs, without its socket): GetItem and UpdateItem in turn on a table of 50 items,
as the functions mostly send them. It prints CPU milliseconds per request for each and the ratio.
Not a test: it prints figures (tests/unit/test_local_moto_server.py checks the answers).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402
from werkzeug.test import Client  # noqa: E402

from flyte_local import moto_server  # noqa: E402

HEADERS = {
    "Host": "dynamodb.us-east-1.amazonaws.com",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
}
ITEMS = 50


def dynamodb_request(client: Client, operation: str, data: str) -> Any:
    """One DynamoDB request to the app, as the SDK sends it (tests/unit/test_local_moto_server.py sends its own this way)."""
    return client.post("/", data=data, headers={**HEADERS, "X-Amz-Target": f"DynamoDB_20120810.{operation}"})


def dynamodb(client: Client) -> Callable[[str, dict[str, Any]], None]:
    def call(operation: str, body: dict[str, Any]) -> None:
        response = dynamodb_request(client, operation, json.dumps(body))
        assert response.status_code == 200, response.data

    return call


def cpu_ms_per_request(app_factory: Callable[[Any], Any], table: str, requests: int) -> float:
    call = dynamodb(Client(DomainDispatcherApplication(app_factory)))
    call(
        "CreateTable",
        {
            "TableName": table,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    for i in range(ITEMS):
        call(
            "PutItem", {"TableName": table, "Item": {"pk": {"S": f"k{i}"}, "v": {"M": {"a": {"N": "1"}, "b": {"S": "x" * 100}}}}}
        )
    started = time.process_time()
    for i in range(requests // 2):
        key = {"pk": {"S": f"k{i % ITEMS}"}}
        call("GetItem", {"TableName": table, "Key": key})
        call(
            "UpdateItem",
            {
                "TableName": table,
                "Key": key,
                "UpdateExpression": "SET c = :c",
                "ExpressionAttributeValues": {":c": {"N": str(i)}},
            },
        )
    return (time.process_time() - started) * 1000 / (requests // 2 * 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    # the server's other shortcuts apply to both sides alike
    moto_server.per_request_lookups_once()
    moto_server.attribute_values_written_as_they_are()
    moto_server.item_level_transaction_rollback()
    moto_server.key_queries_read_their_partition()
    as_moto_makes_them = cpu_ms_per_request(create_backend_app, "debug-on", args.requests)
    local = cpu_ms_per_request(moto_server.out_of_debug_mode(create_backend_app), "debug-off", args.requests)
    print(f"moto's apps in debug mode (as moto makes them): {as_moto_makes_them:.2f} CPU ms per request")
    print(f"out of debug mode (the local moto server):      {local:.2f} CPU ms per request ({local / as_moto_makes_them:.2f}x)")


if __name__ == "__main__":
    main()
