"""`make run`'s command: the local stack as a program, on FLYTE_PORT, stopped cleanly by Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_local_stack(port: int) -> subprocess.Popen:
    """`make run`'s command on the port, in a session of its own: Ctrl-C in a terminal signals the
    whole process group (workers, moto), as os.killpg does here."""
    return subprocess.Popen(
        [sys.executable, "-m", "flyte_local"],
        env={**os.environ, "FLYTE_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def first_answer(process: subprocess.Popen, url: str) -> requests.Response:
    """The stack's first answer at url: it listens at once, its functions warming behind it, so the
    first answer may take a cold start."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return requests.get(url, timeout=(2, 30))
        except requests.ConnectionError:
            assert process.poll() is None and time.monotonic() < deadline, "the local stack did not come up"
            time.sleep(0.1)


def test_python_m_flyte_local_serves_on_flyte_port_and_stops_on_ctrl_c_quietly():
    port = free_port()
    process = run_local_stack(port)
    try:
        response = first_answer(process, f"http://127.0.0.1:{port}/v1")
        assert response.json()["links"][0] == {"href": f"http://127.0.0.1:{port}/v1", "rel": "self"}
        assert requests.get(f"http://127.0.0.1:{port}/health").status_code == 200
        requests.post(f"http://127.0.0.1:{port}/v1/packs", json={"name": "Slack"}).raise_for_status()
        requests.post(f"http://127.0.0.1:{port}/v1/packs/Slack/events", json={"event": "Hi"}).raise_for_status()
        # a pack long-polling when Ctrl-C comes, as in a real session
        long_poll = threading.Thread(
            target=lambda: _ignore_errors(requests.post, f"http://127.0.0.1:{port}/v1/packs/Slack/actions/take?wait=20")
        )
        long_poll.start()
        time.sleep(1)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    # the functions' own JSON log lines may still arrive; besides them, nothing from workers, moto or pollers:
    # the metrics the functions emitted, as CloudWatch would have them (issue 25)
    stopping = [line for line in output[output.index("Stopping") :].strip().splitlines() if not line.startswith('{"level"')]
    assert stopping[:2] == ["Stopping the Flyte API ...", "Metrics since start (as CloudWatch would have them):"], stopping
    assert {"  EventsReceived: 1", "    EventsReceived [pack=Slack]: 1"} <= set(stopping[2:]), stopping
    assert all(line.startswith("  ") for line in stopping[2:]), stopping
    assert "Traceback" not in output


def test_a_busy_port_is_named_at_once_with_how_to_choose_another():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        finished = subprocess.run(
            [sys.executable, "-m", "flyte_local"],
            env={**os.environ, "FLYTE_PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert time.monotonic() - started < 5  # before moto and the functions start
    assert finished.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in finished.stderr
    assert f"FLYTE_PORT={port + 1} make run" in finished.stderr
    assert "Traceback" not in finished.stderr


def _ignore_errors(call, *args):
    try:
        call(*args, timeout=30)
    except requests.RequestException:
        pass


def test_ctrl_c_while_the_functions_still_warm_stops_without_an_error():
    """Ctrl-C the moment /health answers, the functions still starting behind it (two at a time):
    the starts the stop cuts short are the stop, not functions that cannot start."""
    port = free_port()
    process = run_local_stack(port)
    try:
        assert first_answer(process, f"http://127.0.0.1:{port}/health").status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert "functions warm" not in output, output  # the stop came while they were warming
    assert " ERROR " not in output and "could not start" not in output and "Traceback" not in output, output
