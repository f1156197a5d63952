"""The docs' runnable samples, run as a reader runs them, against the local stack.

A fenced `sh` block right after `<!-- sample: ... -->` in a page of docs/ is a sample. Its commands
run with bash from the repository's root, in page order, `localhost:8080` pointing at the stack and
`flyte` on the PATH, with the Shell pack running as the quick start starts it (its `curl` a
stand-in serving gov.uk's answer, there being no internet here). What a sample shows after a
command is checked:

- in a transcript (`$ command`, then its output): an `HTTP/1.1 <status>` line is the status, a
  `Location:` line binds the id the page uses to the one the stack made (later commands use it),
  and every `"key":"text"` pair the output shows must be in the answer (ids, times and values
  abridged with `...` aside);
- a `# ...` line right after a command is its expected first line of output.

Every curl fails on a 4xx or 5xx (`--fail-with-body`, through a .curlrc), every command on a
non-zero exit. Commands that read (no POST, no send or apply) are retried until their output
matches or a deadline passes, since the pipeline is asynchronous; `<CORRELATION ID>` is the
reader's to fill in: the last execution's; a command the page says to stop with Ctrl-C (it follows
what happens) runs while the last event sent is sent again, until it prints its first line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.e2e.test_quick_start import start_shell_pack

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PAGES = ["getting-started/local.md", "writing-flows/debugging.md"]  # the reader's order
SAMPLE = re.compile(r"^[ \t]*<!-- sample:[^>]*-->\n([ \t]*)```sh\n(.*?)\n[ \t]*```", re.MULTILINE | re.DOTALL)
PAIR = re.compile(r'"(\w+)":"((?:[^"\\]|\\.)*)"')
VOLATILE_KEYS = {"id", "eventId", "correlationId", "receivedAt", "createdAt", "href"}
DEADLINE = 30.0


@dataclass
class Command:
    text: str
    expected: list[str] = field(default_factory=list)
    transcript: bool = False


def samples(page: str) -> list[list[Command]]:
    """The page's samples, each a list of commands with the output the page shows for them."""
    found = []
    for indent, body in SAMPLE.findall((ROOT / "docs" / page).read_text(encoding="utf-8")):
        lines = [line.removeprefix(indent) for line in body.split("\n")]
        commands: list[Command] = []
        transcript = any(line.startswith("$ ") for line in lines)
        for line in lines:
            if transcript and line.startswith("$ "):
                commands.append(Command(line[2:], transcript=True))
            elif transcript and commands:
                if line.strip():
                    commands[-1].expected.append(line)
            elif line.startswith("# ") and commands:
                commands[-1].expected.append(line[2:])
            elif line.strip() and not line.startswith("#"):
                commands.append(Command(line))
        found.append(commands)
    return found


def test_every_page_listed_has_samples_and_every_sample_is_listed():
    marked = {
        str(path.relative_to(ROOT / "docs")) for path in (ROOT / "docs").rglob("*.md") if "<!-- sample:" in path.read_text()
    }
    assert marked == set(PAGES)
    for page in PAGES:
        assert samples(page) and all(samples(page)), page


def pairs(text: str) -> set[tuple[str, str]]:
    return {(key, json.loads(f'"{value}"')) for key, value in PAIR.findall(text)}


def shown_pairs(expected: list[str]) -> set[tuple[str, str]]:
    """The `"key":"text"` pairs a page shows, less those that differ from run to run."""
    return {
        (key, value)
        for key, value in pairs("\n".join(expected))
        if key not in VOLATILE_KEYS and "..." not in value and "localhost" not in value
    }


def answer_pairs(output: str) -> set[tuple[str, str]]:
    """Every key and text value of the JSON documents in an output, at any depth."""
    found: set[tuple[str, str]] = set()

    def walk(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, str):
                    found.add((key, inner))
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    body = output.split("\r\n\r\n", 1)[-1]
    try:
        walk(json.loads(body))
    except ValueError:
        found |= pairs(body)
    return found


class Reader:
    """Runs commands as a reader at the repository's root does, against the stack."""

    def __init__(self, stack, tmp_path: Path):
        curlrc = tmp_path / "curl"
        curlrc.mkdir()
        (curlrc / ".curlrc").write_text("fail-with-body\n", encoding="utf-8")
        self.stack = stack
        self.work = tmp_path
        self.ids: dict[str, str] = {}
        self.last_send: str | None = None
        self.env = {
            **os.environ,
            "CURL_HOME": str(curlrc),
            "FLYTE_API": stack.url,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "NO_COLOR": "1",
        }

    def prepare(self, text: str) -> str:
        text = text.replace("http://localhost:8080", self.stack.url).replace("localhost:8080", self.stack.url)
        for shown, made in self.ids.items():
            text = text.replace(shown, made)
        if "<CORRELATION ID>" in text:
            executions = requests.get(f"{self.stack.url}/v1/audit/flows", timeout=10).json()["flows"]
            text = text.replace("<CORRELATION ID>", executions[0]["correlationId"])
        return text.replace("edited.yaml", str(self.work / "edited.yaml"))

    def run(self, command: Command) -> None:
        text = self.prepare(command.text)
        if "Ctrl-C" in command.text:
            self.first_line(text)
            return
        reads = "POST" not in text and not re.search(r"\b(send|apply|put|import)\b", text)
        if re.search(r"POST \S*/events |events send", text):
            self.last_send = text
        deadline = time.monotonic() + DEADLINE
        while True:
            done = subprocess.run(["bash", "-c", text], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60)
            problem = self.problem(command, done)
            if problem is None:
                return
            if not reads or time.monotonic() > deadline:
                pytest.fail(f"{command.text}\n{problem}\nstdout: {done.stdout[:3000]}\nstderr: {done.stderr[:2000]}")
            time.sleep(0.5)

    def problem(self, command: Command, done: subprocess.CompletedProcess) -> str | None:
        if done.returncode != 0:
            return f"exit {done.returncode}"
        output = done.stdout.replace(self.stack.url, "http://localhost:8080")
        if not command.expected:
            return None
        if not command.transcript:
            first = output.strip().splitlines()[0] if output.strip() else ""
            return None if first == command.expected[0] else f"first line {first!r}, the page shows {command.expected[0]!r}"
        status = re.match(r"HTTP/[\d.]+ (\d+)", command.expected[0])
        if status and not re.match(rf"HTTP/[\d.]+ {status.group(1)}\b", output):
            return f"status line {output.splitlines()[0] if output else ''!r}, the page shows {command.expected[0]!r}"
        for line in command.expected:
            if line.startswith("Location:"):
                made = re.search(r"^Location: (\S+)", output, re.MULTILINE | re.IGNORECASE)
                if not made:
                    return "no Location header"
                self.ids[line.split("/")[-1]] = made.group(1).split("/")[-1]
        missing = shown_pairs(command.expected) - answer_pairs(output)
        return f"the answer lacks {sorted(missing)}" if missing else None

    def first_line(self, text: str) -> None:
        """A command that follows what happens: once it says on stderr that it follows (it has read
        what was there before and prints only what is new), the last event is sent again."""
        process = subprocess.Popen(
            ["bash", "-c", f"exec {text}"], cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        stop = threading.Timer(DEADLINE, process.kill)  # a line that never comes ends the wait
        stop.start()
        try:
            assert process.stdout is not None and process.stderr is not None and self.last_send is not None
            said = process.stderr.readline()
            assert "Ctrl-C" in said, f"{text} did not start following: {said!r}"
            subprocess.run(["bash", "-c", self.last_send], cwd=ROOT, env=self.env, capture_output=True, timeout=60, check=True)
            line = process.stdout.readline()
            assert line.strip(), f"{text} printed nothing within {DEADLINE} s of an event"
        finally:
            stop.cancel()
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def shell_pack_started(stack, tmp_path):
    yield from start_shell_pack(stack, tmp_path)


def test_the_quick_start_and_the_worked_example_run_as_written(stack, shell_pack_started, tmp_path):
    if not shutil.which("curl"):
        pytest.skip("the samples are curl commands, and this machine has no curl")
    reader = Reader(stack, tmp_path)
    ran = 0
    for page in PAGES:
        for sample in samples(page):
            for command in sample:
                reader.run(command)
                ran += 1
    assert ran >= 10
