"""Pipeline benchmark on the local stack (prints figures; not a test).

  (a) pickup delay: an action created while a pack long-polls -> the take answers
  (b) event -> action latency: POST event -> action stored and queued (NEW), and -> taken by a polling pack
  (c) (b) with 50 and with 5,000 flows registered, each event matching one of them
  (d) AWS requests per event of the quick-start flow, counted at the botocore level, per function,
      and per event with and without the trace the step matcher writes back onto each event
  (f) replay of a flow edit over 1,000 stored events (POST /v1/flows/replay, limit 1000)

Run: .venv/bin/python bench/bench_pipeline.py [--events 200] [--big 5000] [--replay 1000] [--only a,d,f,b,c]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "flyte_core")]
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import requests  # noqa: E402

from flyte_local.runtime import ITEM_COUNT, TABLE_COUNT  # noqa: E402
from flyte_local.stack import LocalStack  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(name: str, values_ms: list[float]) -> str:
    return (
        f"{name:<48} n={len(values_ms):<5} p50={percentile(values_ms, 50):7.1f} ms  "
        f"p99={percentile(values_ms, 99):7.1f} ms  mean={statistics.mean(values_ms):7.1f} ms"
    )


class Pack:
    def __init__(self, url: str, name: str) -> None:
        self.http = requests.Session()
        pack = self.http.post(f"{url}/v1/packs", json={"name": name}).json()
        self.id = pack["id"]
        self.events = next(link["href"] for link in pack["links"] if link["rel"].endswith("event"))
        self.take_url = next(link["href"] for link in pack["links"] if link["rel"].endswith("takeAction"))

    def send(self, name: str, payload=None) -> None:
        assert self.http.post(self.events, json={"event": name, "payload": payload}).status_code == 202

    def take(self, wait: int):
        response = self.http.post(self.take_url, params={"wait": wait})
        return response.json() if response.status_code == 200 else None

    def take_until(self, wait: int, attempts: int = 6):
        """A take that survives cold starts of the functions on a fresh stack."""
        for _ in range(attempts):
            action = self.take(wait)
            if action:
                return action
        raise AssertionError(f"no action for {self.id}")

    def result(self, action, name: str, payload=None) -> None:
        url = next(link["href"] for link in action["links"] if link["rel"].endswith("actionResult"))
        assert self.http.post(url, json={"event": name, "payload": payload}).status_code == 202


def action_created_at(url: str, flow: str, step: str) -> datetime:
    executions = requests.get(f"{url}/v1/audit/flows", params={"flowName": flow, "limit": 1}).json()["flows"]
    return datetime.fromisoformat(executions[0]["actions"][step]["states"][0]["time"].replace("Z", "+00:00"))


def measure_event_latency(stack: LocalStack, flows: int, events: int, tag: str) -> tuple[list[float], list[float]]:
    """Register `flows` flows (each its own trigger event), then time events that match one of them."""

    def post_flow(index: int) -> None:
        response = requests.post(
            f"{stack.url}/v1/flows",
            json={
                "name": f"{tag}{index}",
                "steps": [
                    {
                        "id": "s",
                        "event": {"packName": f"{tag}Src", "name": f"E{index}"},
                        "context": {"who": "{{ Event.Payload.who }}"},
                        "criteria": "{{ Event.Payload.n >= 0 }}",
                        "command": {
                            "packName": f"{tag}Dst",
                            "name": "Do",
                            "input": {"n": "{{ Event.Payload.n }}", "who": "{{ Context.who }}"},
                        },
                    }
                ],
            },
        )
        assert response.status_code == 201, response.text

    with ThreadPoolExecutor(max_workers=8) as posting:
        list(posting.map(post_flow, range(flows)))
    source, destination = Pack(stack.url, f"{tag}Src"), Pack(stack.url, f"{tag}Dst")
    to_created, to_taken = [], []
    for n in range(events):
        index = (n * 7919) % flows
        started = time.time()
        source.send(f"E{index}", {"n": n, "who": "bench"})
        action = destination.take(wait=5)
        taken = time.time()
        assert action and action["input"]["n"] == str(n), action
        created = action_created_at(stack.url, f"{tag}{index}", "s").timestamp()
        to_created.append((created - started) * 1000)
        to_taken.append((taken - started) * 1000)
        destination.result(action, "Done")
    return to_created, to_taken


def measure_pickup(stack: LocalStack, samples: int) -> list[float]:
    requests.post(
        f"{stack.url}/v1/flows",
        json={
            "name": "pickup",
            "steps": [
                {"id": "s", "event": {"packName": "PickSrc", "name": "E"}, "command": {"packName": "PickDst", "name": "Do"}}
            ],
        },
    )
    source, destination = Pack(stack.url, "PickSrc"), Pack(stack.url, "PickDst")
    delays = []
    for sample in range(samples + 3):  # the first three warm the functions' environments (cold starts)
        got = {}
        poller = threading.Thread(target=lambda got=got: got.update(action=destination.take(wait=10), at=time.time()))
        poller.start()
        time.sleep(0.2)  # the take is long-polling before the action exists
        source.send("E", {})
        poller.join()
        created = action_created_at(stack.url, "pickup", "s").timestamp()
        if sample >= 3:
            delays.append((got["at"] - created) * 1000)
        destination.result(got["action"], "Done")
    return delays


def quick_start_requests(stack: LocalStack) -> None:
    flow = (ROOT / "examples" / "uk-bank-holidays.flow.yaml").read_bytes()
    requests.post(f"{stack.url}/v1/flows", data=flow, headers={"content-type": "application/x-yaml"})
    slack, shell = Pack(stack.url, "Slack"), Pack(stack.url, "Shell")
    time.sleep(0.5)
    before = {name: Counter(runtime.aws_requests) for name, runtime in stack.runtimes.items()}
    slack.send(
        "ReceivedMessage",
        {"message": "flyte uk-bank-holidays", "channelId": "C1", "user": {"id": "U1"}, "timestamp": "1.1", "threadTimestamp": ""},
    )
    command = shell.take_until(wait=5)
    shell.result(command, "Output", {"stdout": "2026-12-25 - Christmas Day\n", "stderr": "", "exit_code": 0})
    reply = slack.take_until(wait=5)
    slack.result(reply, "MessageSent", {})
    time.sleep(0.5)  # let the last result's stream record be processed
    print("\n(d) AWS requests of one quick-start run (2 events, 2 actions taken, 2 results), by function:")
    total = 0
    for name, runtime in sorted(stack.runtimes.items()):
        counts = Counter(
            {op: n for op, n in (runtime.aws_requests - before[name]).items() if not op.startswith((TABLE_COUNT, ITEM_COUNT))}
        )
        total += sum(counts.values())
        if counts:
            print(f"  {name:<22} {sum(counts.values()):>3}  " + ", ".join(f"{op} x{n}" for op, n in sorted(counts.items())))
    # Each event's trace is a record of its own (issue 21): the matcher's puts of items with an eventId.
    events = 3  # the message, and the two results
    matcher = stack.runtimes["StepMatcherFunction"].aws_requests - before["StepMatcherFunction"]
    traces = sum(
        n for op, n in matcher.items() if op.startswith(f"{ITEM_COUNT}Put@") and "eventId" in op.split("@")[-1].split(",")
    )
    print(
        f"  per event ({events} events through the stream): {total / events:.1f} requests with traces "
        f"({traces} trace writes), {(total - traces) / events:.1f} without"
    )


def measure_replay(stack: LocalStack, events: int) -> None:
    """Store `events` quick-start messages (a third of them matching), then replay an edit of the flow."""
    flow = (ROOT / "examples" / "uk-bank-holidays.flow.yaml").read_text()
    requests.post(f"{stack.url}/v1/flows", data=flow, headers={"content-type": "application/x-yaml"})
    slack = Pack(stack.url, "Slack")
    started = time.time()
    with ThreadPoolExecutor(max_workers=4) as sending:
        list(
            sending.map(
                lambda n: slack.send(
                    "ReceivedMessage",
                    {
                        "message": ["flyte uk-bank-holidays", "flyte uk bank holidays", "hello"][n % 3],
                        "channelId": "C1",
                        "user": {"id": "U1"},
                        "timestamp": f"{n}.1",
                        "threadTimestamp": "",
                    },
                ),
                range(events),
            )
        )
    while True:
        listed = requests.get(f"{stack.url}/v1/audit/events", params={"packName": "Slack", "limit": 1000}).json()["events"]
        if len(listed) >= min(events, 1000) and all(e["status"] == "processed" for e in listed):
            break
        time.sleep(0.5)
    print(f"\n(f) {events} events stored and traced in {time.time() - started:.0f} s")
    import yaml

    candidate = yaml.safe_load(flow)
    candidate["steps"][0]["criteria"] = "{{ Event.Payload.message|match:'^flyte(\\\\s+)uk(-|\\\\s)bank(-|\\\\s)holidays$' }}"
    for attempt in range(3):
        started = time.time()
        response = requests.post(f"{stack.url}/v1/flows/replay", json={"flow": candidate, "since": "PT1H", "limit": 1000})
        elapsed = time.time() - started
        answer = response.json()
        print(
            f"    replay, limit 1000: {response.status_code} in {elapsed:.2f} s: {answer['eventsConsidered']} events "
            f"considered, {len(answer['changes'])} changes, {answer['unchanged']} unchanged"
            + (" (first call: cold start)" if attempt == 0 else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--big", type=int, default=5000)
    parser.add_argument("--pickups", type=int, default=50)
    parser.add_argument("--replay", type=int, default=1000)
    parser.add_argument("--only", default="a,b,c,d,f", help="figures to run, e.g. d,f")
    args = parser.parse_args()
    only = set(args.only.split(","))
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("werkzeug", "flyte_local"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    quiet = {"LogLevel": "WARNING"}
    if only & {"a", "d"}:
        with LocalStack(port=0, parameter_overrides=quiet, count_aws_requests=True) as stack:
            print(f"{args.events} events per figure; each figure on a fresh local stack\n")
            if "a" in only:
                print("(a) " + summary("pickup delay (action created -> take answers)", measure_pickup(stack, args.pickups)))
            if "d" in only:
                quick_start_requests(stack)
    if "f" in only:
        with LocalStack(port=0, parameter_overrides=quiet) as stack:
            measure_replay(stack, args.replay)
    for flows, tag in [(n, t) for n, t, figure in ((50, "S", "b"), (args.big, "B", "c")) if figure in only]:
        with LocalStack(port=0, parameter_overrides=quiet) as stack:
            started = time.time()
            created, taken = measure_event_latency(stack, flows, args.events, tag)
            print(f"(b/c) with {flows} flows registered (set-up {time.time() - started:.0f} s):")
            print("    " + summary("event posted -> action stored and queued", created))
            print("    " + summary("event posted -> taken by a long-polling pack", taken))


if __name__ == "__main__":
    main()
