"""Push delivery against long polling on the local stack (issue 20; prints figures, not a test).

  (g) one event starts two actions, one for a push pack (an HTTP endpoint on a loopback port) and one
      for a long-polling pack whose take is parked on the stack: from the event's POST to
      - the push delivery's request arriving at the pack (delivery started), and
      - the parked take answering with the action,
      p50 and p99 over the same events, in the same run.
  (h) what a pack costs idle, per mode: the AWS requests and the function time of one parked take
      (counted at the botocore level), turned into requests and GB-seconds per day, and into money
      at the published prices (us-east-1, x86). A push pack makes no request while idle.

Run: .venv/bin/python bench/bench_push.py [--events 100] [--idle-takes 3] [--wait 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "flyte_core")]
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import requests  # noqa: E402

from flyte_local.cfn import load_template  # noqa: E402
from flyte_local.stack import LocalStack  # noqa: E402

# Published prices, us-east-1, x86, on-demand (AWS pricing pages, read 2026): what a request or a
# second of a 512 MB function costs.
LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_REQUEST = 0.20 / 1_000_000
HTTP_API_REQUEST = 1.00 / 1_000_000
SQS_REQUEST = 0.40 / 1_000_000
DYNAMODB_WRITE = 0.625 / 1_000_000  # on-demand write request unit
DYNAMODB_READ = 0.125 / 1_000_000
MEMORY_GB = load_template(ROOT / "template.yaml")["Parameters"]["TakeMemorySize"]["Default"] / 1024  # the take function's
DAY = 86_400


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class PushPack:
    """A push pack's endpoint: notes when each delivery arrives, answers 200 with a result at once."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.cond = threading.Condition()
        pack = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                arrived = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                marker = json.loads(body)["input"]
                with pack.cond:
                    pack.arrivals[marker] = arrived
                    pack.cond.notify_all()
                answer = b'{"event": "Done", "payload": {}}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/flyte"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def wait(self, marker: str, timeout: float = 30.0) -> float:
        deadline = time.monotonic() + timeout
        with self.cond:
            while marker not in self.arrivals:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no delivery of {marker}")
                self.cond.wait(left)
            return self.arrivals[marker]


class Poller:
    """A long-polling pack that keeps a take parked on the stack, noting when each action arrives."""

    def __init__(self, url: str, name: str, wait: int) -> None:
        self.http = requests.Session()
        pack = self.http.post(f"{url}/v1/packs", json={"name": name, "commands": [{"name": "Work"}]}).json()
        self.take_url = next(link["href"] for link in pack["links"] if link["rel"].endswith("takeAction"))
        self.wait_seconds = wait
        self.arrivals: dict[str, float] = {}
        self.cond = threading.Condition()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping:
            response = self.http.post(self.take_url, params={"wait": self.wait_seconds}, timeout=self.wait_seconds + 15)
            arrived = time.perf_counter()
            if response.status_code != 200:
                continue
            action = response.json()
            result = next(link["href"] for link in action["links"] if link["rel"].endswith("actionResult"))
            with self.cond:
                self.arrivals[action["input"]] = arrived
                self.cond.notify_all()
            self.http.post(result, json={"event": "Done", "payload": {}})

    def wait(self, marker: str, timeout: float = 30.0) -> float:
        deadline = time.monotonic() + timeout
        with self.cond:
            while marker not in self.arrivals:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no take of {marker}")
                self.cond.wait(left)
            return self.arrivals[marker]


def latency(stack: LocalStack, events: int) -> None:
    push = PushPack()
    registered = requests.post(
        f"{stack.url}/v1/packs", json={"name": "Pushed", "commands": [{"name": "Work"}], "delivery": {"url": push.url}}
    )
    assert registered.status_code == 201, registered.text
    poller = Poller(stack.url, "Polled", wait=20)
    flow = {
        "name": "both-ways",
        "steps": [
            {
                "id": "push",
                "event": {"packName": "Src", "name": "Go"},
                "command": {"packName": "Pushed", "name": "Work", "input": "{{ Event.Payload }}"},
            },
            {
                "id": "poll",
                "event": {"packName": "Src", "name": "Go"},
                "command": {"packName": "Polled", "name": "Work", "input": "{{ Event.Payload }}"},
            },
        ],
    }
    assert requests.post(f"{stack.url}/v1/flows", json=flow).status_code == 201
    source = requests.Session()
    source.post(f"{stack.url}/v1/packs", json={"name": "Src"})
    pushed: list[float] = []
    polled: list[float] = []
    for n in range(events + 5):  # the first five warm the functions and the delivery function's key
        marker = f"m{n}"
        time.sleep(0.3)  # pacing: the take is parked again and the last event's batch done before the next
        started = time.perf_counter()
        assert source.post(f"{stack.url}/v1/packs/Src/events", json={"event": "Go", "payload": marker}).status_code == 202
        push_at, poll_at = push.wait(marker), poller.wait(marker)
        if n >= 5:
            pushed.append((push_at - started) * 1000)
            polled.append((poll_at - started) * 1000)
    poller.stopping = True
    poller.thread.join(timeout=40)  # its last take ends before the idle figures are counted
    print(f"(g) event -> delivery, {events} events, both actions from each event:")
    for name, values in (("push: delivery request at the pack", pushed), ("long poll: parked take answers", polled)):
        print(
            f"    {name:<40} p50={percentile(values, 50):7.1f} ms  p99={percentile(values, 99):7.1f} ms  "
            f"mean={statistics.mean(values):7.1f} ms"
        )
    faster = [p - q for p, q in zip(pushed, polled, strict=True)]
    print(f"    push minus long poll, per event: p50={percentile(faster, 50):+.1f} ms  p99={percentile(faster, 99):+.1f} ms")


def idle(stack: LocalStack, takes: int, wait: int) -> None:
    """One pack that waits with nothing to do, in each mode."""
    poller = requests.Session()
    pack = poller.post(f"{stack.url}/v1/packs", json={"name": "Idle", "commands": [{"name": "Nothing"}]}).json()
    take_url = next(link["href"] for link in pack["links"] if link["rel"].endswith("takeAction"))
    runtime = stack.runtimes["TakeFunction"]
    runtime.aws_requests.clear()
    durations = []
    for _ in range(takes):
        started = time.perf_counter()
        assert poller.post(take_url, params={"wait": wait}, timeout=wait + 15).status_code == 204
        durations.append(time.perf_counter() - started)
    per_take = {
        operation: count / takes
        for operation, count in runtime.aws_requests.items()
        if not operation.startswith(("table:", "item:"))
    }
    seconds = statistics.mean(durations)
    takes_per_day = DAY / seconds
    print(f"(h) idle pack, long poll: a take with ?wait={wait} held the function {seconds:.2f} s; AWS requests per take:")
    for operation, count in sorted(per_take.items()):
        print(f"    {operation:<36} {count:.1f}")
    receives = sum(count for op, count in per_take.items() if op.startswith("sqs."))
    writes = sum(count for op, count in per_take.items() if op.startswith("dynamodb.") and "Update" in op)
    reads = sum(count for op, count in per_take.items() if op.startswith("dynamodb.") and "Update" not in op)
    gb_seconds = takes_per_day * seconds * MEMORY_GB
    cost = (
        takes_per_day * (HTTP_API_REQUEST + LAMBDA_REQUEST)
        + gb_seconds * LAMBDA_GB_SECOND
        + takes_per_day * (receives * SQS_REQUEST + writes * DYNAMODB_WRITE + reads * DYNAMODB_READ)
    )
    print(
        f"    per day: {takes_per_day:,.0f} takes = {takes_per_day:,.0f} API requests and invocations, "
        f"{takes_per_day * receives:,.0f} SQS and {takes_per_day * writes:,.0f} DynamoDB write requests, "
        f"{gb_seconds:,.0f} GB-s at {MEMORY_GB * 1024:.0f} MB: ${cost:.2f}/day, ${cost * 30:.2f}/month"
    )
    delivery = stack.runtimes["DeliveryFunction"]
    delivery.aws_requests.clear()
    before = sum(r.aws_requests.total() for r in stack.runtimes.values())
    idle_for = seconds * takes
    time.sleep(idle_for)  # a push pack waiting as long as the long-polling one did: nothing may happen
    after = sum(r.aws_requests.total() for r in stack.runtimes.values())
    print(
        f"(h) idle pack, push: in {idle_for:.0f} s the functions made {after - before} AWS requests and the delivery "
        "function was not invoked: 0 requests, 0 GB-s, $0/day per pack"
    )
    # What push costs the stack whatever the number of push packs: Lambda's pollers long-poll the
    # delivery queue (20 s receives; AWS bills SQS requests, not the pollers), and the sealing key.
    receives = 5 * DAY / 20  # at most five pollers of an idle queue
    print(
        f"    the stack, once: the delivery queue's event source, at most {receives:,.0f} SQS receives/day "
        f"(${receives * SQS_REQUEST:.4f}/day), and Secrets Manager's key, $0.40/month"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--idle-takes", type=int, default=3)
    parser.add_argument("--wait", type=int, default=20, help="the idle long poll's wait (the SDK's with FLYTE_API_TIMEOUT=0)")
    args = parser.parse_args()
    with LocalStack(port=0, parameter_overrides={"LogLevel": "WARNING"}, count_aws_requests=True) as stack:
        latency(stack, args.events)
        idle(stack, args.idle_takes, args.wait)


if __name__ == "__main__":
    main()
