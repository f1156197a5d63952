"""Item 14 of issue 8: the local stack bounds its execution environments like reserved concurrency.

A tiny handler in a temporary code directory stands in for a function, so that these run in a
second: the same worker processes, queue and caps as the stack's functions.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flyte_local.application import Function
from flyte_local.runtime import Capacity, FunctionError, FunctionProcesses, parks_for

HANDLER = """
import os, time

def handler(event, context):
    if event.get("crash"):
        os._exit(3)
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "n": event.get("n")}
"""


def function(tmp_path: Path, name: str = "Sleepy", source: str = HANDLER) -> Function:
    code = tmp_path / name
    code.mkdir()
    (code / "app.py").write_text(source)
    return Function(logical_id=name, code_dir=code, handler="app.handler", environment={}, layers=[], timeout=10)


@pytest.fixture
def pools():
    started: list[FunctionProcesses] = []
    yield started
    for pool in started:
        pool.stop()


def test_a_burst_beyond_the_functions_concurrency_queues_instead_of_starting_more_environments(tmp_path, pools):
    pool = FunctionProcesses(function(tmp_path), {}, max_concurrency=2)
    pools.append(pool)
    pool.warm()
    with ThreadPoolExecutor(max_workers=12) as burst:
        results = list(burst.map(lambda n: pool.invoke({"n": n, "sleep": 0.2}), range(12)))
    assert [r["n"] for r in results] == list(range(12))  # every invocation answered
    assert len({r["pid"] for r in results}) <= 2
    assert pool.peak_environments <= 2
    assert pool.environments <= 2


def test_queued_invocations_are_served_in_arrival_order(tmp_path, pools):
    pool = FunctionProcesses(function(tmp_path), {}, max_concurrency=1)
    pools.append(pool)
    pool.warm()
    finished: list[int] = []
    lock = threading.Lock()

    def call(n: int) -> None:
        pool.invoke({"n": n, "sleep": 0.05})
        with lock:
            finished.append(n)

    threads = []
    for n in range(6):
        threads.append(threading.Thread(target=call, args=(n,)))
        threads[-1].start()
        time.sleep(0.02)  # arrivals in order, each while the one environment is busy
    for thread in threads:
        thread.join()
    assert finished == list(range(6))


def test_long_invocations_get_environments_of_their_own_short_ones_queue(tmp_path, pools):
    pool = FunctionProcesses(function(tmp_path), {}, max_concurrency=20)
    pools.append(pool)
    pool.warm()
    with ThreadPoolExecutor(max_workers=20) as burst:  # 20 x 10 ms: the queue drains faster than a start
        list(burst.map(lambda n: pool.invoke({"sleep": 0.01}), range(20)))
    # queued, not a process each (a loaded machine may still justify a second start)
    assert pool.peak_environments <= 2
    with ThreadPoolExecutor(max_workers=3) as polls:  # like long polls: more environments start, one at a time
        began = time.monotonic()
        list(polls.map(lambda n: pool.invoke({"sleep": 3}), range(3)))
    assert pool.peak_environments >= 2 and time.monotonic() - began < 8  # one after the other would take 9 s


def test_the_stack_wide_bound_ends_an_idle_environment_of_another_function_to_make_room(tmp_path, pools):
    capacity = Capacity(max_environments=3)
    first = FunctionProcesses(function(tmp_path, "First"), {}, max_concurrency=3, capacity=capacity)
    second = FunctionProcesses(function(tmp_path, "Second"), {}, max_concurrency=3, capacity=capacity)
    pools.extend([first, second])
    first.warm()
    second.warm()
    with ThreadPoolExecutor(max_workers=3) as burst:  # long invocations: the first function grows, the stack is full
        list(burst.map(lambda n: first.invoke({"sleep": 2.5}), range(3)))
    assert capacity.live == 3
    with ThreadPoolExecutor(max_workers=3) as burst:
        list(burst.map(lambda n: second.invoke({"sleep": 2.5}), range(3)))
    assert capacity.live <= 3
    assert first.environments + second.environments <= 3
    assert first.environments >= 1 and second.environments >= 1  # never the last one of a function


def test_an_environment_that_dies_is_replaced_and_the_function_keeps_answering(tmp_path, pools):
    pool = FunctionProcesses(function(tmp_path), {}, max_concurrency=1)
    pools.append(pool)
    pool.warm()
    with pytest.raises(FunctionError, match="died"):
        pool.invoke({"crash": True})
    assert pool.invoke({"n": 7})["n"] == 7


def test_a_handler_that_cannot_import_fails_at_start_up(tmp_path, pools):
    pool = FunctionProcesses(function(tmp_path, "Broken", "raise ImportError('no such module')\n"), {}, max_concurrency=1)
    pools.append(pool)
    with pytest.raises(FunctionError, match=r"could not start.*no such module"):
        pool.warm()


def take(wait: int | None) -> dict:
    query = {} if wait is None else {"wait": str(wait)}
    return {"routeKey": "POST /v1/packs/{packId}/actions/take", "queryStringParameters": query, "sleep": wait or 0}


def test_a_take_parks_its_environment_for_its_wait_and_nothing_else_does():
    assert parks_for(take(3)) == 3 and parks_for(take(None)) == 20
    assert parks_for({"routeKey": "POST /v1/packs/{packId}/events"}) == 0 and parks_for({"Records": []}) == 0
    assert parks_for({**take(3), "queryStringParameters": {"wait": "soon"}}) == 0  # the function answers 400 at once


def test_a_burst_of_parked_takes_gets_an_environment_each_at_once(tmp_path, pools):
    """Issue 25: ten packs long-polling at once on a cold stack waited for environments started one
    after the other (a 4 s take took 14 s); as on Lambda, each parked take gets one."""
    pool = FunctionProcesses(function(tmp_path), {}, max_concurrency=10)
    pools.append(pool)
    pool.warm()
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=6) as packs:
        list(packs.map(lambda n: pool.invoke(take(3)), range(6)))
    assert pool.peak_environments >= 5
    assert time.monotonic() - began < 12  # one environment after the other: 18 s
