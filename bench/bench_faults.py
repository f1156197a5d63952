"""Exactly once under injected AWS faults (issue 30): a two-step chain on the local stack, with packs
that retry as real packs do, under each fault kind at 5% and 20% of AWS calls.

The chain: the source pack posts `Go {n}`; step `first` sends `First` to the worker; its result
`FirstDone` fires step `second`, which sends `Second`; its result `SecondDone` ends the chain. The
packs retry every post on no answer, 429 and 5xx (after Retry-After), with one Idempotency-Key per
logical post, as the SDK does. Counted from the tables at the end (nothing inferred):

  events      source events stored (more than sent: a post stored twice)
  executions  distinct executions started (more than events sent: duplicates)
  duplicates  executions beyond one per event sent
  lost        events sent whose chain did not end (no Second action SUCCESS) by the deadline
  stuck       actions that needed more than one lease (attempts > 1) or had not ended by the deadline
  errors      every error answer the packs saw, by status (retried or not), and connection errors
  p50/p90     event -> action: an event's receipt (its receivedAt) -> its First action stored (createdAt)

Run: .venv/bin/python bench/bench_faults.py [--events 100] [--kinds throttle,error,latency,lost-reply] [--rates 0.05,0.2]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "flyte_core")]
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import requests  # noqa: E402

from flyte_local.faults import FaultSpec  # noqa: E402
from flyte_local.stack import LocalStack  # noqa: E402

LEASE_SECONDS = 10
RETRIED = frozenset({429, 500, 502, 503, 504})
FLOW = {
    "name": "faults-chain",
    "steps": [
        {
            "id": "first",
            "event": {"packName": "FaultSrc", "name": "Go"},
            "command": {"packName": "FaultWorker", "name": "First", "input": "{{ Event.Payload.n }}"},
        },
        {
            "id": "second",
            "dependsOn": ["first"],
            "event": {"packName": "FaultWorker", "name": "FirstDone"},
            "command": {"packName": "FaultWorker", "name": "Second", "input": "{{ Event.Payload.n }}"},
        },
    ],
}


@dataclass
class Seen:
    """What the packs saw: every error answer."""

    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] += 1


class RetryingClient:
    """A pack's HTTP client: retries on no answer, 429 and 5xx, keeping the post's Idempotency-Key."""

    def __init__(self, seen: Seen, attempts: int = 12) -> None:
        self.http = requests.Session()
        self.seen = seen
        self.attempts = attempts

    def call(self, method: str, url: str, keyed: bool = False, **kwargs: Any) -> requests.Response:
        headers = {"Idempotency-Key": str(uuid.uuid4())} if keyed else {}
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.http.request(method, url, headers=headers, timeout=40, **kwargs)
            except requests.RequestException:
                self.seen.error("connection")
                time.sleep(0.2 * attempt)
                continue
            if response.status_code >= 400:
                self.seen.error(str(response.status_code))
                if response.status_code == 503 and "Retry-After" not in response.headers:
                    self.seen.error("503 without Retry-After")
            if response.status_code not in RETRIED or attempt == self.attempts:
                return response
            time.sleep(min(5.0, float(response.headers.get("Retry-After") or 0.2 * attempt)))
        raise RuntimeError(f"{method} {url}: no answer after {self.attempts} attempts")


def register(client: RetryingClient, url: str, name: str) -> dict[str, str]:
    response = client.call("POST", f"{url}/v1/packs", json={"name": name})
    assert response.status_code == 201, response.text
    links = response.json()["links"]
    return {rel: next(link["href"] for link in links if link["rel"].endswith(rel)) for rel in ("event", "takeAction")}


def worker(client: RetryingClient, take_url: str, seen: Seen, stop: threading.Event) -> None:
    while not stop.is_set():
        response = client.call("POST", take_url, params={"wait": 1})
        if response.status_code != 200:
            continue
        body = response.json()
        result_url = next(link["href"] for link in body["links"] if link["rel"].endswith("actionResult"))
        n = int(body["input"])
        done = {"First": "FirstDone", "Second": "SecondDone"}[body["command"]]
        client.call("POST", result_url, keyed=True, json={"event": done, "payload": {"n": n}})


def scan(stack: LocalStack, table: str) -> list[dict[str, Any]]:
    assert stack.backend is not None and stack.app is not None
    dynamodb = stack.backend.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=stack.app.table_names[table]):
        items += page["Items"]
    return items


@dataclass
class Outcome:
    events_sent: int
    events: int
    executions: int
    duplicates: int
    lost: int
    stuck: int
    errors: Counter[str]
    p50: float
    p90: float
    seconds: float

    def row(self, label: str) -> str:
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(self.errors.items())) or "none"
        return (
            f"| {label} | {self.events_sent} | {self.events} | {self.executions} | {self.duplicates} | {self.lost} | "
            f"{self.stuck} | {errors} | {self.p50:.1f} / {self.p90:.1f} s |"
        )


def settled(stack: LocalStack, sent: int) -> tuple[set[int], list[dict[str, Any]]]:
    actions = [a for a in scan(stack, "ActionsTable") if a.get("flowName", {}).get("S") == FLOW["name"]]
    done = {int(a["input"]["S"].strip('"')) for a in actions if a["stepId"]["S"] == "second" and a["state"]["S"] == "SUCCESS"}
    return done, actions


def _time(text: str) -> datetime:
    """A time as the tables hold it (PynamoDB's `...+0000` or RFC 3339 with `Z`)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def chain_under_faults(stack: LocalStack, events: int, deadline_seconds: float, workers: int = 3) -> Outcome:
    """Run `events` chains through the stack (whatever faults it injects) and count what happened."""
    seen = Seen()
    setup = RetryingClient(seen)
    response = setup.call("POST", f"{stack.url}/v1/flows", json=FLOW)
    assert response.status_code == 201, response.text
    source = register(setup, stack.url, "FaultSrc")
    worker_links = register(setup, stack.url, "FaultWorker")
    seen.errors.clear()  # count what the chain meets, not the setup
    stop = threading.Event()
    threads = [
        threading.Thread(target=worker, args=(RetryingClient(seen), worker_links["takeAction"], seen, stop), daemon=True)
        for _ in range(workers)
    ]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    poster = RetryingClient(seen)
    for n in range(events):
        answer = poster.call("POST", source["event"], keyed=True, json={"event": "Go", "payload": {"n": n}})
        assert answer.status_code == 202, answer.text
    deadline = started + deadline_seconds
    done: set[int] = set()
    while time.monotonic() < deadline:
        done, actions = settled(stack, events)
        if len(done) == events:
            break
        time.sleep(0.5)
    seconds = time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    done, actions = settled(stack, events)
    stored_events = [e for e in scan(stack, "EventsTable") if e.get("packName", {}).get("S") == "FaultSrc"]
    first_actions = [a for a in actions if a["stepId"]["S"] == "first"]
    executions = len({a["correlationId"]["S"] for a in first_actions})
    stuck = sum(1 for a in actions if int(a.get("attempts", {}).get("N", "0")) > 1 or a["state"]["S"] not in ("SUCCESS", "FATAL"))
    latencies = sorted(
        (_time(a["createdAt"]["S"]) - _time(json.loads(a["trigger"]["S"])["receivedAt"])).total_seconds() for a in first_actions
    )

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, round(p * (len(latencies) - 1)))] if latencies else float("nan")

    return Outcome(
        events_sent=events,
        events=len(stored_events),
        executions=executions,
        duplicates=max(0, executions - events),
        lost=events - len(done),
        stuck=stuck,
        errors=seen.errors,
        p50=percentile(0.5),
        p90=percentile(0.9),
        seconds=seconds,
    )


def run(kind: str, rate: float, events: int, deadline: float, seed: int = 30) -> Outcome:
    spec = FaultSpec.parse(f"{kind}={rate}{':300ms' if kind == 'latency' else ''},seed={seed}") if kind != "none" else None
    overrides = {"LogLevel": "WARNING", "ActionLeaseSeconds": str(LEASE_SECONDS)}
    with LocalStack(port=0, parameter_overrides=overrides, faults=spec) as stack:
        return chain_under_faults(stack, events, deadline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--kinds", default="none,throttle,error,latency,lost-reply")
    parser.add_argument("--rates", default="0.05,0.2")
    parser.add_argument("--deadline", type=float, default=240.0, help="seconds for every chain of a run to end")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("flyte_local.faults").setLevel(logging.WARNING)
    print(
        "| faults | events sent | events stored | executions | duplicates | lost | stuck | errors seen by packs | event->action p50 / p90 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in args.kinds.split(","):
        for rate in [0.0] if kind == "none" else [float(r) for r in args.rates.split(",")]:
            outcome = run(kind, rate, args.events, args.deadline)
            label = "none" if kind == "none" else f"{kind} {rate:.0%}"
            print(outcome.row(label), f"<!-- {outcome.seconds:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
