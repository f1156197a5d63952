"""Run `flyte` as a user does: the installed console script in a subprocess, no terminal attached.

Tests against a fake API run the same entry point in-process instead (`invoke`): same arguments,
environment, stdin, stdout, stderr and exit code, without a Python start-up per command.
"""

from __future__ import annotations

import io
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


def run_flyte(
    api: str, *args: str, input: str | None = None, env: dict[str, str] | None = None, binary: bool = False, timeout: float = 60
) -> Run:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("FLYTE_JWT", "FLYTE_PROFILE", "FLYTE_CONFIG", "COLUMNS", "NO_COLOR")
    }
    environment.update({"FLYTE_API": api, **(env or {})})
    done = subprocess.run(
        [str(FLYTE), *args], input=input, capture_output=True, text=not binary, env=environment, timeout=timeout, check=False
    )
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session", autouse=True)
def _installed():
    if not FLYTE.exists():
        pytest.fail(f"{FLYTE} is missing: `make venv` installs the CLI (pip install -e cli)")


@pytest.fixture
def invoke(monkeypatch, capsys):
    """`flyte_cli.main.main` in this process, as the console script calls it."""
    from flyte_cli.main import main

    def run(api: str | None, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Run:
        with monkeypatch.context() as patch:
            for key in ("FLYTE_API", "FLYTE_JWT", "FLYTE_PROFILE", "FLYTE_CONFIG", "COLUMNS", "NO_COLOR"):
                patch.delenv(key, raising=False)
            for key, value in {**({"FLYTE_API": api} if api else {}), **(env or {})}.items():
                patch.setenv(key, value)
            patch.setattr(sys, "argv", ["flyte", *args])
            patch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((input or "").encode())))
            capsys.readouterr()
            try:
                main()
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
