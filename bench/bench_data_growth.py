"""Bytes each table and index holds per event and per execution (prints figures; not a test; issues 25, 21).

One two-step flow execution runs on a fresh local stack (an event from a chat pack, a shell action, its
result, a reply action, its result: three events, two actions, and the step matcher's trace of each
event, an item of its own in the actions table), then every item of the events and actions tables is
sized as DynamoDB bills storage: attribute names and values in UTF-8, numbers about their digits / 2 + 1,
3 bytes per map or list, plus 100 bytes of overhead per item. Each global secondary index of template.yaml
(as a new stack deploys it) holds an entry for each item that has its key attributes: the table's
primary key, the index's keys and what it projects (ALL: the whole item; INCLUDE: the listed attributes;
KEYS_ONLY: nothing more), plus 100 bytes. The indexes template.yaml's comments say are "removed in the
next release" are priced on their own, and the totals without them. The totals scale to a team sending
EVENTS_PER_DAY events a day, held for the default one-year TTL.

Run: .venv/bin/python bench/bench_data_growth.py [--events-per-day 10000]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "layers" / "flyte_core")]
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import requests  # noqa: E402
from cost_table import Index, template_facts  # noqa: E402

from flyte_local import application  # noqa: E402
from flyte_local.cfn import load_template, table_properties  # noqa: E402
from flyte_local.stack import LocalStack  # noqa: E402

ITEM_OVERHEAD = 100  # DynamoDB's per-item storage overhead, for table items and index entries alike
STORAGE_PRICE = 0.25  # $ per GB-month of DynamoDB Standard storage (us-east-1)
TTL_DAYS = 365  # the template's default TtlInSeconds: events and actions expire a year after they are written
RETIRING = "removed in the next release"  # how template.yaml's comments mark an index the next release deletes
GROWING = ("EventsTable", "ActionsTable")  # the tables each execution adds to (packs: one item per pack)


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


def index_entry(item: dict[str, Any], table_keys: frozenset[str], index: Index) -> dict[str, Any] | None:
    """What an index holds of an item: None when the item lacks one of the index's keys (it is not in
    it, as in a sparse index), else the table's and the index's keys and the projected attributes."""
    if not index.keys <= item.keys():
        return None
    if index.projection == "ALL":
        return item
    kept = table_keys | index.keys | (index.included if index.projection == "INCLUDE" else frozenset())
    return {name: value for name, value in item.items() if name in kept}


@dataclass
class Figures:
    """Items of one kind, their bytes in the table and in each index (with the 100 bytes each)."""

    items: int = 0
    stored: int = 0
    indexed: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.stored + sum(self.indexed.values())


def figures(items: Iterable[dict[str, Any]], table_keys: frozenset[str], indexes: dict[str, Index]) -> Figures:
    found = Figures(indexed=Counter({name: 0 for name in indexes}))
    for item in items:
        found.items += 1
        found.stored += item_size(item) + ITEM_OVERHEAD
        for name, index in indexes.items():
            entry = index_entry(item, table_keys, index)
            if entry is not None:
                found.indexed[name] += item_size(entry) + ITEM_OVERHEAD
    return found


def retired_indexes(template_text: str) -> set[tuple[str, str]]:
    """(table logical id, index name) of each index whose comment in template.yaml says the next release
    removes it: the comment block above its `- IndexName:` line (or above the `- !If` around it)."""
    found, resource, comment = set(), "", ""
    for line in template_text.splitlines():
        stripped = line.strip()
        if re.fullmatch(r"  [A-Za-z0-9]+:", line):
            resource, comment = line.strip(" :"), ""
        elif stripped.startswith("#"):
            comment += " " + stripped.lstrip("# ")
        elif match := re.match(r"-\s*IndexName:\s*(\S+)", stripped):
            if RETIRING in " ".join(comment.split()):
                found.add((resource, match.group(1)))
            comment = ""
        elif stripped.endswith(":") and not stripped.startswith("-"):
            comment = ""  # a property's own comment (AttributeDefinitions...) is no index's
    return found


def scan(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    return [item for page in dynamodb.get_paginator("scan").paginate(TableName=table) for item in page["Items"]]


def is_trace(item: dict[str, Any]) -> bool:
    return item.get("recordType", {}).get("S") == "trace"


def run_execution(stack: LocalStack) -> None:
    """One two-step execution through the API, as a chat pack and a shell pack run it."""
    url = stack.url
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


def per_day(per_execution: int, executions_per_day: float) -> str:
    day = per_execution * executions_per_day
    held = day * TTL_DAYS / 1e9
    return f"{day / 1e6:.1f} MB a day, {held:.1f} GB held at the one-year TTL (${held * STORAGE_PRICE:.2f} a month)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events-per-day", type=int, default=10_000)
    args = parser.parse_args()
    indexes = template_facts()[0]
    table_keys = {
        logical_id: frozenset(key["AttributeName"] for key in properties["KeySchema"])
        for logical_id, properties in table_properties(load_template(application.TEMPLATE)).items()
    }
    retired = retired_indexes(application.TEMPLATE.read_text(encoding="utf-8"))
    with LocalStack(port=0, parameter_overrides={"LogLevel": "WARNING"}) as stack:
        run_execution(stack)
        assert stack.backend is not None and stack.app is not None
        dynamodb = stack.backend.client("dynamodb")
        names = stack.app.table_names
        deadline = time.monotonic() + 30  # the step matcher writes each event's trace after the event
        while sum(map(is_trace, scan(dynamodb, names["ActionsTable"]))) < len(scan(dynamodb, names["EventsTable"])):
            if time.monotonic() > deadline:
                raise SystemExit("the step matcher did not trace every event")
            time.sleep(0.2)
        actions_table = scan(dynamodb, names["ActionsTable"])
        kinds = {  # what is measured: (its table's logical id, its items, what it is)
            "events": ("EventsTable", scan(dynamodb, names["EventsTable"]), "per execution"),
            "actions": ("ActionsTable", [item for item in actions_table if not is_trace(item)], "per execution"),
            "traces": ("ActionsTable", [item for item in actions_table if is_trace(item)], "per execution, actions table"),
            "packs": ("PacksTable", scan(dynamodb, names["PacksTable"]), "per registered pack, not per execution"),
        }
    per_execution = retiring = 0
    retired_lines = []
    for name, (logical_id, items, what) in kinds.items():
        found = figures(items, table_keys[logical_id], indexes[logical_id])
        in_indexes = ", ".join(f"{index} {found.indexed[index]} B" for index in indexes[logical_id])
        print(
            f"{name} ({what}): {found.items} items, {found.stored} B in the table "
            f"(avg {found.stored // max(1, found.items)} B); indexes: {in_indexes if found.total > found.stored else 'in none'}; "
            f"in all {found.total} B"
        )
        growing = logical_id in GROWING
        per_execution += found.total if growing else 0
        for index in indexes[logical_id]:
            if (logical_id, index) in retired and found.indexed[index]:
                retiring += found.indexed[index] if growing else 0
                retired_lines.append(f"{index} ({name}) {found.indexed[index]} B")
    # an execution here is 3 events (the trigger and two results); a day's events start executions like it
    executions_per_day = args.events_per_day / 3
    print(
        f"one execution: {per_execution} B in all; {args.events_per_day} events a day "
        f"({executions_per_day:.0f} such executions): {per_day(per_execution, executions_per_day)}"
    )
    print(f"retired indexes ({RETIRING}): {'; '.join(retired_lines) or 'none'}")
    print(
        f"without them: one execution {per_execution - retiring} B ({retiring} B less); "
        f"{args.events_per_day} events a day: {per_day(per_execution - retiring, executions_per_day)}"
    )


if __name__ == "__main__":
    main()
