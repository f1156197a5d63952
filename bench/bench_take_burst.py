"""Parked takes on a cold local stack (prints figures; not a test; issue 25).

PACKS packs registered on a freshly started stack (one environment per function) all start long-polling
at once with `wait` seconds and nothing to take. On AWS each parked take gets an execution environment
of its own within a second; locally each needs a worker process, and a take that waits for one waits
that long beyond its `wait`. flyte-client gives up on a request after 10 s. Printed: each take's time
beyond its wait (worst, median) and the environments the pack runtime started.

Run: .venv/bin/python bench/bench_take_burst.py [--packs 10] [--wait 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "flyte_core")]
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import requests  # noqa: E402

from flyte_local.stack import LocalStack  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packs", type=int, default=10)
    parser.add_argument("--wait", type=int, default=4)
    args = parser.parse_args()
    with LocalStack(port=0, parameter_overrides={"LogLevel": "WARNING"}) as stack:
        ids = []
        for n in range(args.packs):
            response = requests.post(f"{stack.url}/v1/packs", json={"name": f"Parked{n}"}, timeout=30)
            response.raise_for_status()
            ids.append(response.json()["id"])
        extra: list[float] = []
        statuses: list[int] = []

        def take(pack_id: str) -> None:
            started = time.monotonic()
            response = requests.post(f"{stack.url}/v1/packs/{pack_id}/actions/take", params={"wait": args.wait}, timeout=60)
            extra.append(time.monotonic() - started - args.wait)
            statuses.append(response.status_code)

        threads = [threading.Thread(target=take, args=(pack_id,)) for pack_id in ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        runtime = stack.runtimes["PackRuntimeFunction"]
        print(
            f"{args.packs} parked takes of {args.wait} s on a cold stack: beyond the wait worst {max(extra):.1f} s, "
            f"median {statistics.median(extra):.1f} s; statuses {sorted(set(statuses))}; "
            f"pack runtime environments {runtime.peak_environments}"
        )


if __name__ == "__main__":
    main()
