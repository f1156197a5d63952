"""Load benchmark on the local stack, bounded in count and time (issue 21; prints figures; not a test).

  load:  EVENTS events posted by POSTERS clients as fast as the stack takes them (or at --rate), a flow
         whose one step creates an action per event, TAKERS pack threads long-polling for them and
         posting a result for each. Then every record is checked: each event matched once (its trace
         written, one action per event), each action taken once (no action handed out twice while
         its lease held) and finished with one result, each result recorded once (one result event
         per action, matched). Printed: the rates sustained, latencies, the machine's load average.
  drain: the step matcher's throughput alone: EVENTS events stored with the stream pollers stopped,
         then the pollers started, and the time until every event has its action (full batches),
         for each --batch-sizes; with the AWS requests per event the matcher made.

Run: .venv/bin/python bench/bench_load.py [--mode load,drain] [--events 300] [--batch-sizes 10,25,100]
     [--posters 4] [--takers 4] [--rate 0] [--deadline 300]
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "flyte_core")]
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import requests  # noqa: E402

from flyte_local.stack import LocalStack  # noqa: E402

FLOW = {
    "name": "load",
    "steps": [
        {
            "id": "work",
            "event": {"packName": "LoadSource", "name": "Load"},
            "command": {"packName": "LoadWorker", "name": "Work", "input": "{{ Event.Payload.n }}"},
        }
    ],
}
QUIET = {"LogLevel": "WARNING"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def register(url: str, name: str) -> dict[str, Any]:
    response = requests.post(f"{url}/v1/packs", json={"name": name}, timeout=30)
    assert response.status_code == 201, response.text
    pack = response.json()
    links = {link["rel"].rsplit("/", 1)[-1]: link["href"] for link in pack["links"]}
    return {"id": pack["id"], "event": links["event"], "takeAction": links["takeAction"]}


def post_flow(url: str) -> None:
    response = requests.post(f"{url}/v1/flows", json=FLOW, timeout=30)
    assert response.status_code in (200, 201), response.text


def post_with_retries(session: requests.Session, url: str, body: dict[str, Any], deadline: float) -> float:
    """POST until accepted (one Idempotency-Key per logical post, so a retry never stores it twice);
    returns when it was accepted (time.time())."""
    key = uuid.uuid4().hex
    while True:
        try:
            response = session.post(url, json=body, headers={"Idempotency-Key": key}, timeout=30)
            if response.status_code == 202:
                return time.time()
            if response.status_code < 500 and response.status_code != 429:
                raise AssertionError(f"{url}: {response.status_code} {response.text[:300]}")
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} refused until the deadline")
        time.sleep(0.2)


@dataclass
class LoadReport:
    events: int
    posted_in: float  # seconds from the first post to the last accepted
    matched_in: float  # first post -> the last action created (every event matched)
    done_in: float  # first post -> the last result accepted
    taken: Counter = field(default_factory=Counter)  # input n -> times handed out
    latencies: list[float] = field(default_factory=list)  # event accepted -> its action taken (s)
    problems: list[str] = field(default_factory=list)  # what the check of the records found wrong
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)
    requests_per_event: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [
            f"{self.events} events: posted at {self.events / self.posted_in:.1f}/s; all matched at "
            f"{self.events / self.matched_in:.1f}/s; all taken and finished at {self.events / self.done_in:.1f}/s "
            f"({self.done_in:.1f} s)",
            f"event accepted -> action taken: p50 {percentile(self.latencies, 50):.2f} s, "
            f"p90 {percentile(self.latencies, 90):.2f} s, max {max(self.latencies, default=float('nan')):.2f} s",
            f"taken twice: {sum(1 for n in self.taken.values() if n > 1)}; problems: {self.problems or 'none'}",
            "load average (1, 5, 15 min) at the end: " + ", ".join(f"{v:.1f}" for v in self.load_average),
        ]


def _aws_counts(stack: LocalStack) -> dict[str, Counter]:
    return {name: Counter(runtime.aws_requests) for name, runtime in stack.runtimes.items()}


def _per_event(stack: LocalStack, before: dict[str, Counter], events: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, runtime in stack.runtimes.items():
        delta = Counter(runtime.aws_requests) - before.get(name, Counter())
        total = sum(n for key, n in delta.items() if "@" not in key)  # per-table keys repeat the DynamoDB ones
        if total:
            out[name] = total / events
            for key, n in sorted(delta.items()):
                if "@" not in key:
                    out[f"{name} {key}"] = n / events
    return out


def run_load(
    stack: LocalStack, events: int, posters: int = 4, takers: int = 4, rate: float = 0.0, deadline_seconds: float = 300.0
) -> LoadReport:
    """The load run on a started stack (its tables may hold other records: only this run's are checked)."""
    url = stack.url
    post_flow(url)
    source, worker = register(url, "LoadSource"), register(url, "LoadWorker")
    deadline = time.monotonic() + deadline_seconds
    before = _aws_counts(stack) if stack.count_aws_requests else {}
    accepted: dict[int, float] = {}
    taken: Counter = Counter()
    latencies: list[float] = []
    finished = 0
    lock = threading.Lock()
    start = time.time()

    def poster(numbers: range) -> None:
        session = requests.Session()
        for n in numbers:
            if rate:
                time.sleep(max(0.0, start + n / rate - time.time()))
            at = post_with_retries(session, source["event"], {"event": "Load", "payload": {"n": n, "run": run_id}}, deadline)
            with lock:
                accepted[n] = at

    def taker() -> None:
        nonlocal finished
        session = requests.Session()
        while time.monotonic() < deadline:
            with lock:
                if finished >= events:
                    return
            try:
                response = session.post(worker["takeAction"], params={"wait": 2}, timeout=30)
            except requests.RequestException:
                continue
            if response.status_code != 200:
                continue
            action = response.json()
            n = int(action["input"])
            got = time.time()
            with lock:
                taken[n] += 1
                if n in accepted:
                    latencies.append(got - accepted[n])
            result = next(link["href"] for link in action["links"] if link["rel"].endswith("actionResult"))
            post_with_retries(session, result, {"event": "Done", "payload": {"n": n}}, deadline)
            with lock:
                finished += 1

    run_id = uuid.uuid4().hex
    share = -(-events // posters)
    with ThreadPoolExecutor(max_workers=posters + takers) as pool:
        taking = [pool.submit(taker) for _ in range(takers)]
        posting = [pool.submit(poster, range(i * share, min(events, (i + 1) * share))) for i in range(posters)]
        for future in posting:
            future.result()
        posted = time.time()
        for future in taking:
            future.result()
    done = time.time()
    report = LoadReport(events, posted - start, 0.0, done - start, taken, latencies)
    _check_records(stack, report, run_id, start, deadline)
    report.load_average = os.getloadavg()
    if stack.count_aws_requests:
        report.requests_per_event = _per_event(stack, before, events)
    return report


def _check_records(stack: LocalStack, report: LoadReport, run_id: str, start: float, deadline: float) -> None:
    """Every event matched once, every action taken once and finished with one result, every result
    recorded and matched once: read from the tables themselves once the results' matching is done."""
    assert stack.app is not None and stack.backend is not None
    dynamodb = stack.backend.client("dynamodb")
    events_table, actions_table = stack.app.table_names["EventsTable"], stack.app.table_names["ActionsTable"]

    def scan(table: str) -> list[dict[str, Any]]:
        items, kwargs = [], {"TableName": table}
        while True:
            page = dynamodb.scan(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    problems = report.problems
    events_store = _adapters(stack).events_table  # read as the audit reads them (wherever the trace is kept)
    processed: dict[str, int] = {}  # event id -> steps its matching fired
    while True:  # the results' own matching ends shortly after the last result
        loads = [e for e in scan(events_table) if e["name"]["S"] == "Load" and run_id in e.get("payload", {}).get("S", "")]
        load_ids = {e["id"]["S"] for e in loads}
        actions = [
            a
            for a in scan(actions_table)
            if a.get("recordType", {}).get("S") == "action"
            and json.loads(a.get("trigger", {}).get("S") or "{}").get("id") in load_ids
        ]
        ids = {a["id"]["S"] for a in actions}
        results = [e for e in scan(events_table) if e.get("actionId", {}).get("S") in ids]
        for event in loads + results:
            if event["id"]["S"] not in processed:
                stored = events_store.get(event["id"]["S"])
                if stored is not None and stored.processed_at is not None:
                    processed[event["id"]["S"]] = stored.fired_steps
        unprocessed = [e for e in loads + results if e["id"]["S"] not in processed]
        if not unprocessed or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    created = sorted(datetime.strptime(a["createdAt"]["S"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() for a in actions)
    report.matched_in = (created[-1] - start) if created else float("nan")
    by_input = Counter(a["input"]["S"] for a in actions)
    if len(loads) != report.events:
        problems.append(f"{len(loads)} Load events stored for {report.events} posted")
    if sorted(by_input) != sorted(f'"{n}"' for n in range(report.events)) and sorted(by_input) != sorted(
        str(n) for n in range(report.events)
    ):
        problems.append(f"{len(by_input)} distinct actions for {report.events} events")
    if any(count > 1 for count in by_input.values()):
        problems.append(f"{sum(1 for c in by_input.values() if c > 1)} events made more than one action")
    if unprocessed:
        problems.append(f"{len(unprocessed)} events or results never matched (no trace)")
    if any(processed.get(e["id"]["S"], 1) != 1 for e in loads):
        problems.append("a Load event whose trace does not say one step fired")
    not_done = [a for a in actions if a["state"]["S"] != "SUCCESS"]
    if not_done:
        problems.append(f"{len(not_done)} actions not SUCCESS: {Counter(a['state']['S'] for a in not_done)}")
    per_action = Counter(e["actionId"]["S"] for e in results)
    if len(per_action) != len(ids) or any(count != 1 for count in per_action.values()):
        problems.append(f"results: {len(results)} for {len(ids)} actions")
    if sorted(report.taken) != list(range(report.events)) or any(n != 1 for n in report.taken.values()):
        problems.append(f"taken: {len(report.taken)} distinct, {sum(report.taken.values())} in all, for {report.events}")


def _adapters(stack: LocalStack) -> Any:
    """The adapters a function of this stack builds, in this process (for reading what it stored)."""
    from flyte_core.adapters import Adapters
    from flyte_core.settings import Settings
    from flyte_local.stack import LOCAL_ENVIRONMENT, merged_environment

    assert stack.app is not None and stack.backend is not None
    environment = {**merged_environment(stack.app), **LOCAL_ENVIRONMENT, "AWS_ENDPOINT_URL": stack.backend.endpoint}
    return Adapters(Settings.from_environ(environment))


def run_drain(events: int, batch_size: int, posters: int = 4, deadline_seconds: float = 300.0) -> dict[str, Any]:
    """The matcher's throughput alone on a fresh stack: events stored first, the stream read after."""
    with LocalStack(port=0, parameter_overrides=QUIET, count_aws_requests=True) as stack:
        stack.pause()  # no stream poller while the events are stored
        for source in stack.app.streams:  # type: ignore[union-attr]
            source.batch_size = batch_size  # the local mapping's BatchSize, as template.yaml would set it
        post_flow(stack.url)
        register(stack.url, "LoadWorker")
        source = register(stack.url, "LoadSource")
        deadline = time.monotonic() + deadline_seconds
        with ThreadPoolExecutor(max_workers=posters) as pool:
            sessions = [requests.Session() for _ in range(posters)]
            list(
                pool.map(
                    lambda n: post_with_retries(
                        sessions[n % posters], source["event"], {"event": "Load", "payload": {"n": n}}, deadline
                    ),
                    range(events),
                )
            )
        before = _aws_counts(stack)
        invocations = stack.runtimes["StepMatcherFunction"].invocations
        dynamodb = stack.backend.client("dynamodb")  # type: ignore[union-attr]
        started = time.monotonic()
        stack._start_event_sources()
        events_table = stack.app.table_names["EventsTable"]  # type: ignore[union-attr]
        matched = {"TableName": events_table, "Select": "COUNT", "FilterExpression": "attribute_exists(processedAt)"}
        while dynamodb.scan(**matched)["Count"] < events:  # the trace is the last write of each event's matching
            if time.monotonic() > deadline:
                raise TimeoutError("the matcher did not match every event before the deadline")
            time.sleep(0.1)
        seconds = time.monotonic() - started
        time.sleep(1.0)  # the last invocation returns its request counts when it ends
        return {
            "batch_size": batch_size,
            "events": events,
            "seconds": seconds,
            "rate": events / seconds,
            "invocations": stack.runtimes["StepMatcherFunction"].invocations - invocations,
            "requests": {k: v for k, v in _per_event(stack, before, events).items() if k.startswith("StepMatcherFunction")},
            "load_average": os.getloadavg(),
        }


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", default="drain,load")
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--batch-sizes", default="10,25,100")
    parser.add_argument("--posters", type=int, default=4)
    parser.add_argument("--takers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=0.0, help="events a second to post (0: as fast as accepted)")
    parser.add_argument("--deadline", type=float, default=300.0)
    args = parser.parse_args()
    modes = set(args.mode.split(","))
    print(f"load average at the start: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    if "drain" in modes:
        for size in (int(s) for s in args.batch_sizes.split(",")):
            figures = run_drain(args.events, size, args.posters, args.deadline)
            print(
                f"drain, BatchSize {size}: {figures['events']} events matched in {figures['seconds']:.1f} s = "
                f"{figures['rate']:.1f} events/s, {figures['invocations']} invocations; load average "
                + ", ".join(f"{v:.1f}" for v in figures["load_average"])
            )
            for key, value in figures["requests"].items():
                print(f"    {key:<55} {value:6.2f} per event")
    if "load" in modes:
        with LocalStack(port=0, parameter_overrides=QUIET, count_aws_requests=True) as stack:
            report = run_load(stack, args.events, args.posters, args.takers, args.rate, args.deadline)
        for line in report.lines():
            print(line)
        for key, value in report.requests_per_event.items():
            print(f"    {key:<55} {value:6.2f} requests per event")
        if report.problems:
            sys.exit(1)


if __name__ == "__main__":
    main()
