"""Pack programs run as their users run them (`python -m <package>`) against the local stack."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping

import requests


def start_pack_program(
    url: str, module: str, pack_name: str, env: Mapping[str, str], headers: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """`python -m <module>` with `env`, returned once the API at `url` lists a pack named `pack_name`
    (within 30 s; when the program exits first, what it printed is the failure)."""
    process = subprocess.Popen(
        [sys.executable, "-m", module], env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 30
    try:
        while not any(p["name"] == pack_name for p in requests.get(f"{url}/v1/packs", headers=headers).json()["packs"]):
            assert process.poll() is None and time.monotonic() < deadline, (
                process.stdout.read() if process.poll() is not None and process.stdout else f"{pack_name} did not register"
            )
            time.sleep(0.2)
    except BaseException:
        process.kill()  # a failed start leaves no program behind
        process.wait()
        raise
    return process


def stop_pack_program(process: subprocess.Popen[str], timeout: float) -> str:
    """Stop it as a service manager does (SIGTERM); it must stop gracefully. Returns what it printed."""
    process.terminate()
    output = process.communicate(timeout=timeout)[0]
    assert process.returncode == 0, output  # a graceful stop
    return output
