"""`make run`'s command: the local stack as a program, on FLYTE_PORT, stopped cleanly by Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_python_m_flyte_local_serves_on_flyte_port_and_stops_on_ctrl_c():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "flyte_local"], env={**os.environ, "FLYTE_PORT": str(port)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/v1", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "the local stack did not come up"
                time.sleep(0.3)
        assert response.json()["links"][0] == {"href": f"http://127.0.0.1:{port}/v1", "rel": "self"}
        assert requests.get(f"http://127.0.0.1:{port}/health").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    assert "Traceback" not in output
