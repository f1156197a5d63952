"""Bytes each table and index holds per event and per execution (prints figures; not a test; issue 25).

One two-step flow execution runs on a fresh local stack (an event from a chat pack, a shell action, its
result, a reply action, its result: three events, two actions), then every item of the events and
actions tables is sized as DynamoDB bills storage (attribute names and values in UTF-8, numbers about
their digits / 2 + 1, 3 bytes per map or list, plus 100 bytes of overhead per item and per index
entry; indexes project ALL here). The totals scale to a team sending EVENTS_PER_DAY events a day.

Run: .venv/bin/python bench/bench_data_growth.py [--events-per-day 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "flyte_core")]
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import boto3  # noqa: E402
import requests  # noqa: E402

from flyte_local.stack import LocalStack  # noqa: E402

ITEM_OVERHEAD = 100  # DynamoDB's per-item storage overhead, for table items and index entries alike


def size(value: dict[str, Any]) -> int:
    """An attribute value's billed bytes (boto3's low-level shape: {"S": ...}, {"M": {...}}, ...)."""
    ((kind, inner),) = value.items()
    if kind in ("S", "B"):
        return len(inner.encode("utf-8") if isinstance(inner, str) else inner)
    if kind == "N":
        return len(inner.lstrip("-").replace(".", "")) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(size(v) for v in inner)
    return sum(len(str(v)) for v in inner)  # sets: close enough


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + size(value) for name, value in item.items())


def table_figures(dynamodb: Any, table: str) -> tuple[int, int, int]:
    """(items, bytes with overhead, index entries with overhead in bytes) of a table."""
    description = dynamodb.describe_table(TableName=table)["Table"]
    index_keys = [[key["AttributeName"] for key in index["KeySchema"]] for index in description.get("GlobalSecondaryIndexes", [])]
    items = [item for page in dynamodb.get_paginator("scan").paginate(TableName=table) for item in page["Items"]]
    stored = sum(item_size(item) + ITEM_OVERHEAD for item in items)
    indexed = sum(item_size(item) + ITEM_OVERHEAD for item in items for keys in index_keys if all(k in item for k in keys))
    return len(items), stored, indexed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events-per-day", type=int, default=10_000)
    args = parser.parse_args()
    flow = {
        "name": "growth",
        "steps": [
            {
                "id": "run",
                "event": {"packName": "Chat", "name": "Said"},
                "context": {"channel": "{{ Event.Payload.channel }}"},
                "command": {"packName": "Shell", "name": "Shell", "input": "{{ Event.Payload.text }}"},
            },
            {
                "id": "reply",
                "dependsOn": ["run"],
                "event": {"packName": "Shell", "name": "Output"},
                "command": {
                    "packName": "Chat",
                    "name": "Send",
                    "input": {"channel": "{{ Context.channel }}", "text": "{{ Event.Payload.stdout }}"},
                },
            },
        ],
    }
    with LocalStack(port=0, parameter_overrides={"LogLevel": "WARNING"}) as stack:
        url = stack.url
        requests.post(f"{url}/v1/flows", json=flow, timeout=30).raise_for_status()
        chat = requests.post(f"{url}/v1/packs", json={"name": "Chat"}, timeout=30).json()["id"]
        shell = requests.post(f"{url}/v1/packs", json={"name": "Shell"}, timeout=30).json()["id"]
        said = {"text": "uptime", "channel": "C0123456", "user": "U0123456", "timestamp": "1700000000.000100"}
        requests.post(f"{url}/v1/packs/{chat}/events", json={"event": "Said", "payload": said}, timeout=30).raise_for_status()

        def take(pack: str) -> str:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                response = requests.post(f"{url}/v1/packs/{pack}/actions/take", params={"wait": 5}, timeout=30)
                if response.status_code == 200:
                    return response.json()["links"][0]["href"]
            raise SystemExit("no action came")

        output = {"stdout": " 10:00:00 up 3 days,  2 users,  load average: 0.10, 0.20, 0.30\n", "stderr": "", "exitCode": 0}
        requests.post(take(shell), json={"event": "Output", "payload": output}, timeout=30).raise_for_status()
        requests.post(take(chat), json={"event": "Sent", "payload": {"ts": "1700000001.000200"}}, timeout=30).raise_for_status()
        time.sleep(3)  # the last result's trace is written by the step matcher
        assert stack.backend is not None
        dynamodb = boto3.client("dynamodb", endpoint_url=stack.backend.endpoint, region_name="us-east-1")
        tables = {
            name: stack.function_environment(stack.app.functions["PackRuntimeFunction"])[variable]  # type: ignore[union-attr]
            for name, variable in (("events", "FLYTE_EVENTS_TABLE"), ("actions", "FLYTE_ACTIONS_TABLE"))
        }
        per_execution = 0
        for name, table in tables.items():
            items, stored, indexed = table_figures(dynamodb, table)
            per_execution += stored + indexed
            print(f"{name}: {items} items, {stored} B in the table (avg {stored // max(1, items)} B), {indexed} B in its indexes")
        # an execution here is 3 events (the trigger and two results); a day's events start executions like it
        executions_per_day = args.events_per_day / 3
        per_day = per_execution * executions_per_day
        print(
            f"one execution: {per_execution} B in all; {args.events_per_day} events a day "
            f"({executions_per_day:.0f} such executions): {per_day / 1e6:.1f} MB a day, "
            f"{per_day * 365 / 1e9:.2f} GB held at the default one-year TTL"
        )


if __name__ == "__main__":
    main()
