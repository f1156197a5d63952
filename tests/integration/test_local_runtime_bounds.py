"""Item 14 of issue 8: the local stack bounds its execution environments like reserved concurrency.

A tiny handler in a temporary code directory stands in for a function, so that these run in a
second: the same worker processes, queue and caps as the stack's functions.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from flyte_local.application import Function
from flyte_local.runtime import Capacity, Environment, FunctionError, FunctionProcesses, parks_for

HANDLER = """
import os, time

def handler(event, context):
    if event.get("crash"):
        os._exit(3)
    began = time.monotonic()
    if event.get("mark"):
        open(event["mark"], "w").close()
    while event.get("gate") and not os.path.exists(event["gate"]):  # held until the test opens the gate
        time.sleep(0.005)
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid(), "n": event.get("n"), "began": began, "ended": time.monotonic()}
"""
DEADLINE = 60  # seconds; conditions are waited on, so a loaded machine only makes these slower


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"not within {DEADLINE} s: {what}"
        time.sleep(0.01)


def function(tmp_path: Path, name: str = "Sleepy", source: str = HANDLER) -> Function:
    code = tmp_path / name
    code.mkdir()
    (code / "app.py").write_text(source)
    # held invocations last until the test opens their gate: the timeout is the test's deadline and more
    return Function(logical_id=name, code_dir=code, handler="app.handler", environment={}, layers=[], timeout=DEADLINE + 30)


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
    gate, running = tmp_path / "gate", tmp_path / "running"
    served: dict[int, float] = {}

    def call(n: int) -> None:
        served[n] = pool.invoke({"n": n, "gate": str(gate), "mark": str(running) if n == 0 else ""})["began"]

    threads = []
    for n in range(6):  # arrivals in order: the first holds the one environment, each next one is queued
        threads.append(threading.Thread(target=call, args=(n,)))
        threads[-1].start()
        if n == 0:
            wait_until(running.exists, "the first invocation running")
        else:
            wait_until(lambda n=n: pool.queued == n, f"{n} invocations queued")
    gate.touch()
    for thread in threads:
        thread.join()
    assert sorted(served, key=served.__getitem__) == list(range(6))  # the order they began in


def test_long_invocations_get_environments_of_their_own_short_ones_queue(tmp_path, pools):
    pool = FunctionProcesses(function(tmp_path), {}, max_concurrency=20)
    pools.append(pool)
    pool.warm()
    with ThreadPoolExecutor(max_workers=20) as burst:  # 20 x 10 ms: the queue drains faster than a start
        list(burst.map(lambda n: pool.invoke({"sleep": 0.01}), range(20)))
    # queued, not a process each (a loaded machine may still justify a second start)
    assert pool.peak_environments <= 2
    gate = tmp_path / "gate"
    with ThreadPoolExecutor(max_workers=3) as polls:  # like long polls, held: more environments start, one at a time
        held = [polls.submit(pool.invoke, {"gate": str(gate)}) for _ in range(3)]
        wait_until(lambda: pool.environments >= 3, "an environment for each long invocation")
        gate.touch()
        answers = [answer.result() for answer in held]
    assert pool.peak_environments >= 3 and len({a["pid"] for a in answers}) == 3


def test_the_stack_wide_bound_ends_an_idle_environment_of_another_function_to_make_room(tmp_path, pools):
    capacity = Capacity(max_environments=3)
    first = FunctionProcesses(function(tmp_path, "First"), {}, max_concurrency=3, capacity=capacity)
    second = FunctionProcesses(function(tmp_path, "Second"), {}, max_concurrency=3, capacity=capacity)
    pools.extend([first, second])
    first.warm()
    second.warm()
    gate = tmp_path / "gate"
    with ThreadPoolExecutor(max_workers=3) as burst:  # long invocations: the first function grows, the stack is full
        held = [burst.submit(first.invoke, {"gate": str(gate)}) for _ in range(3)]
        wait_until(lambda: capacity.live == 3, "the first function's three environments")
        gate.touch()
        [answer.result() for answer in held]
    assert capacity.live == 3
    gate.unlink()
    with ThreadPoolExecutor(max_workers=3) as burst:
        held = [burst.submit(second.invoke, {"gate": str(gate)}) for _ in range(3)]
        wait_until(lambda: second.environments >= 2, "the second function's environments, room made for them")
        gate.touch()
        [answer.result() for answer in held]
    assert capacity.live <= 3
    assert first.environments + second.environments <= 3
    assert first.environments >= 1 and second.environments >= 1  # never the last one of a function
    # Each function peaked at three and their peaks add up to more than the bound; at once, never.
    assert first.peak_environments + second.peak_environments > 3 and capacity.peak == 3


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


def _report_ctrl_c_handling(connection) -> None:
    import signal

    connection.send(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)


def reported_by_a_forked_environment(report: Any, unless_forked: str) -> Any:
    """What `report(connection)` sends back from a process started as the stack starts its execution
    environments (a fork of the fork server); the test skips, saying `unless_forked`, where they are spawned."""
    if Environment._context.get_start_method() != "forkserver":
        pytest.skip(unless_forked)
    mine, theirs = Environment._context.Pipe()
    process = Environment._context.Process(target=report, args=(theirs,))
    process.start()
    try:
        assert mine.poll(60), "the environment sent nothing within 60 s"
        return mine.recv()
    finally:
        process.join(timeout=10)


def test_an_environment_ignores_ctrl_c_from_its_first_instruction():
    """Ctrl-C reaches the whole process group; an environment the stack was starting at that moment
    printed a KeyboardInterrupt traceback before its own code could ignore it. Forks now inherit it."""
    unless_forked = "only the fork server's environments inherit it; a spawned one ignores it in its own code"
    assert reported_by_a_forked_environment(_report_ctrl_c_handling, unless_forked) is True


def _report_botocore_files_read(connection) -> None:
    """In an environment: make the clients a handler makes, and send back which data files botocore read."""
    import os

    from botocore import loaders

    from flyte_core.adapters.aws import Aws
    from flyte_core.settings import AwsAccess

    read: list[str] = []
    load_file = loaders.JSONFileLoader.load_file

    def recording(self, file_path, *args):
        data = load_file(self, file_path, *args)
        if data is not None:  # botocore also looks for optional files (sdk-extras) that are not there
            read.append(os.path.basename(file_path))
        return data

    loaders.JSONFileLoader.load_file = recording
    aws = Aws(AwsAccess(endpoint="http://127.0.0.1:9"))  # nothing is called: clients are made, not used
    aws.client("dynamodb"), aws.client("sqs"), aws.pynamodb_connection.client
    connection.send(read)


def test_an_environment_starts_with_botocores_service_data_already_read():
    """Each environment read botocore's endpoint and service data again for its first client (70 ms
    of CPU); the fork server reads it once and every environment inherits it."""
    unless_forked = "only the fork server's environments inherit it; a spawned one reads the data itself"
    assert reported_by_a_forked_environment(_report_botocore_files_read, unless_forked) == []
