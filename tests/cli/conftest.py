"""Run `flyte` as a user does: the installed console script in a subprocess, no terminal attached."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FLYTE = Path(sys.executable).with_name("flyte")


@dataclass
class Run:
    code: int
    stdout: Any
    stderr: Any


def run_flyte(api: str, *args: str, input: str | None = None, env: dict[str, str] | None = None,
              binary: bool = False, timeout: float = 60) -> Run:
    environment = {key: value for key, value in os.environ.items() if key not in ("FLYTE_JWT", "COLUMNS", "NO_COLOR")}
    environment.update({"FLYTE_API": api, **(env or {})})
    done = subprocess.run([str(FLYTE), *args], input=input, capture_output=True, text=not binary, env=environment,
                          timeout=timeout, check=False)
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session", autouse=True)
def _installed():
    if not FLYTE.exists():
        pytest.fail(f"{FLYTE} is missing: `make venv` installs the CLI (pip install -e cli)")
