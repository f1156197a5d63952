"""Burst benchmark on a cold local stack (prints figures; not a test).

A freshly started stack (one environment per function) receives at once BURST_EVENTS events from
one pack and BURST_REGISTRATIONS pack registrations, the burst that once started 77 worker processes
(6.1 GB) and kept requests waiting 13-53 s. Printed: every request's latency (worst, p50, p99), the
environments each function started and the workers' resident memory at the end. flyte-client gives
up on a request after 10 s, so the worst must stay below that.

Run: .venv/bin/python bench/bench_burst.py [--events 50] [--registrations 20] [--rounds 1]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "flyte_core")]
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import requests  # noqa: E402

from flyte_local.stack import LocalStack  # noqa: E402

FLYTE_CLIENT_TIMEOUT_SECONDS = 10


def burst(url: str, events: int, registrations: int, tag: str) -> list[tuple[str, int, float]]:
    """Every request of the burst released at the same instant; (kind, status, seconds) each.

    The clients run in a process of their own, as packs do: seventy client threads in the stack's
    own process would compete with its gateway for the interpreter lock and be timed for it."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as clients:
        return clients.submit(_burst, url, events, registrations, tag).result()


def _burst(url: str, events: int, registrations: int, tag: str) -> list[tuple[str, int, float]]:
    source = requests.post(f"{url}/v1/packs", json={"name": f"{tag}Source"}).json()
    events_url = next(link["href"] for link in source["links"] if link["rel"].endswith("event"))
    jobs = [
        ("event", lambda i=i: requests.post(events_url, json={"event": "Burst", "payload": {"n": i}}, timeout=60))
        for i in range(events)
    ]
    jobs += [
        (
            "registration",
            lambda i=i: requests.post(
                f"{url}/v1/packs",
                timeout=60,
                json={
                    "name": f"{tag}Pack{i}",
                    "labels": {"env": "burst"},
                    "commands": [{"name": f"Command{c}", "events": ["Done", "Failed"]} for c in range(5)],
                },
            ),
        )
        for i in range(registrations)
    ]
    start = threading.Barrier(len(jobs))

    def timed(job):
        kind, call = job
        start.wait()
        began = time.perf_counter()
        response = call()
        return kind, response.status_code, time.perf_counter() - began

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(timed, jobs))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--registrations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="bursts on the same stack (the first is the cold one)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with LocalStack(port=0, parameter_overrides={"LogLevel": "WARNING"}) as stack:
        for round_ in range(args.rounds):
            began = time.perf_counter()
            results = burst(stack.url, args.events, args.registrations, f"R{round_}")
            elapsed = time.perf_counter() - began
            seconds = [s for _, _, s in results]
            statuses = sorted({status for _, status, _ in results})
            print(
                f"round {round_ + 1} ({'cold' if round_ == 0 else 'warm'}): {args.events} events + "
                f"{args.registrations} registrations in {elapsed:.2f} s; statuses {statuses}"
            )
            for kind in ("event", "registration"):
                mine = [s for k, _, s in results if k == kind]
                print(
                    f"  {kind + 's':<14} worst {max(mine):6.2f} s  p50 {percentile(mine, 50):6.2f} s  "
                    f"p99 {percentile(mine, 99):6.2f} s"
                )
            print(f"  worst request  {max(seconds):6.2f} s (flyte-client's timeout: {FLYTE_CLIENT_TIMEOUT_SECONDS} s)")
        time.sleep(1)  # the stream's step matcher invocations of the burst
        environments = {name: runtime.environments for name, runtime in stack.runtimes.items()}
        memory = sum(runtime.rss_bytes() for runtime in stack.runtimes.values())
        print(
            f"environments: {sum(environments.values())} in all "
            f"({', '.join(f'{name} {count}' for name, count in sorted(environments.items()))}); "
            f"resident memory of the workers {memory / 2**20:.0f} MB"
        )


if __name__ == "__main__":
    main()
