"""The Shell command: run the action's input as ``bash -c <script>`` (contract of flyte-shell).

The input is the script (a JSON string, as in flyte-shell), or, an addition, the **env mode**
``{"script": "...", "env": {"NAME": "value"}}``: the script runs with those values as environment
variables, so text from an event never becomes part of the script (``echo "$MESSAGE"`` prints
whatever the message holds; ``echo {{ Event.Payload.message }}`` would run it).

Output event ``Output`` with ``{"stdout": str, "stderr": str, "exit_code": int}``, raw streams
(trailing newline kept), whatever the exit code. Additions over flyte-shell, both configurable:

- a timeout: the script runs in its own process group (session); when the timeout passes, the
  whole group gets SIGTERM, then SIGKILL after a short grace, and the ``Output`` says so in
  ``stderr`` with ``exit_code`` 124 (the convention of GNU ``timeout``);
- an output cap per stream: bytes beyond it are read and dropped (the script never blocks on a
  full pipe) and a note in ``stderr`` says how much was dropped.

If bash cannot be started at all the handler raises, and the SDK completes the action with a
``FATAL`` event carrying the error (flyte-shell panicked there, which its client turned into
``FATAL`` too).
"""

from __future__ import annotations

import codecs
import logging
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from flyte_pack import Command, ConfigError, Event, EventDef
from flyte_pack.config import parse_int

log = logging.getLogger("flyte_shell_pack")

COMMAND_NAME = "Shell"
OUTPUT_EVENT = EventDef("Output")
NO_SCRIPT = "No script supplied to handler"
ENV_MODE_KEYS = ("script", "env")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Variables bash or the dynamic loader act on when they start (BASH_ENV and ENV are files to source,
# PS4 is expanded under xtrace, SHELLOPTS/BASHOPTS turn options on, LD_PRELOAD loads a library...):
# an event's text must not choose them, whatever name a flow gives it.
RESERVED_ENV_NAMES = frozenset(("ENV", "SHELLOPTS", "PS4", "IFS", "PATH", "PROMPT_COMMAND", "GLOBIGNORE", "CDPATH"))
RESERVED_ENV_PREFIXES = ("BASH", "LD_")
TIMEOUT_EXIT_CODE = 124

ENV_TIMEOUT = "FLYTE_SHELL_TIMEOUT"
ENV_MAX_OUTPUT = "FLYTE_SHELL_MAX_OUTPUT_BYTES"
DEFAULT_TIMEOUT = 300  # seconds
DEFAULT_MAX_OUTPUT = 64 * 1024  # bytes per stream
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL on timeout
_CHUNK = 65536


@dataclass(frozen=True)
class ShellSettings:
    """``timeout`` seconds (``None`` = none) and ``max_output`` bytes per stream (``None`` =
    unlimited)."""

    timeout: float | None = DEFAULT_TIMEOUT
    max_output: int | None = DEFAULT_MAX_OUTPUT
    kill_grace: float = KILL_GRACE
    bash: str = "bash"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ShellSettings:
        """``FLYTE_SHELL_TIMEOUT`` (whole seconds, default 300, 0 = none) and
        ``FLYTE_SHELL_MAX_OUTPUT_BYTES`` (default 65536, 0 = unlimited); negative or
        non-integer values raise :class:`ConfigError`."""
        env = os.environ if env is None else env
        timeout = _non_negative(env.get(ENV_TIMEOUT), ENV_TIMEOUT, DEFAULT_TIMEOUT)
        max_output = _non_negative(env.get(ENV_MAX_OUTPUT), ENV_MAX_OUTPUT, DEFAULT_MAX_OUTPUT)
        return cls(timeout=float(timeout) if timeout else None, max_output=max_output or None)


def _non_negative(raw: str | None, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    value = parse_int(raw, name)
    if value < 0:
        raise ConfigError(f"{name} has been set to an invalid value: {value}")
    return value


@dataclass
class ShellResult:
    stdout: str
    stderr: str
    exit_code: int
    timed_out: bool = False
    stdout_dropped: int = 0
    stderr_dropped: int = 0

    def payload(self) -> dict[str, Any]:
        return {"stdout": self.stdout, "stderr": self.stderr, "exit_code": self.exit_code}


class _Capture:
    """Drains one pipe in a thread, keeping at most ``limit`` bytes."""

    def __init__(self, pipe: IO[bytes], limit: int | None, name: str) -> None:
        self._pipe = pipe
        self._limit = limit
        self._lock = threading.Lock()
        self._chunks: list[bytes] = []
        self._kept = 0
        self.dropped = 0
        self.thread = threading.Thread(target=self._read, name=f"shell-{name}", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while chunk := self._pipe.read1(_CHUNK):  # type: ignore[attr-defined]
                with self._lock:
                    keep = len(chunk)
                    if self._limit is not None:
                        keep = min(keep, max(0, self._limit - self._kept))
                    if keep:
                        self._chunks.append(chunk[:keep])
                        self._kept += keep
                    self.dropped += len(chunk) - keep
        except (OSError, ValueError):  # pipe closed under us after an abandoned wait
            pass
        finally:
            try:
                self._pipe.close()
            except OSError:
                pass

    def text(self) -> str:
        with self._lock:
            data = b"".join(self._chunks)
            truncated = bool(self.dropped)
        # Raw bytes -> str; invalid UTF-8 becomes U+FFFD (as Go's JSON encoding does), and a
        # multi-byte character cut by the cap is dropped rather than mangled.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        return decoder.decode(data, final=not truncated)


def _kill_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to the process group; False if the group no longer exists."""
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a member changed user; nothing more we can do
        return False


def _terminate(proc: subprocess.Popen[bytes], captures: tuple[_Capture, ...], grace: float) -> None:
    """SIGTERM the script's whole process group; once bash has exited and its pipes are closed,
    or after ``grace`` seconds, SIGKILL whatever is left of the group."""
    pgid = proc.pid  # start_new_session: the group id is bash's pid
    _kill_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if proc.poll() is not None and not any(c.thread.is_alive() for c in captures):
            break
        time.sleep(0.02)
    _kill_group(pgid, signal.SIGKILL)
    proc.wait()


# The pack's own credentials: a command it runs (perhaps built from event text) must not be able to
# act as the pack, so they are not passed on (the original flyte-shell passed its whole environment).
WITHHELD_FROM_SCRIPTS = ("FLYTE_JWT",)


def script_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The pack's environment less its credentials, plus ``env``."""
    return {**{k: v for k, v in os.environ.items() if k not in WITHHELD_FROM_SCRIPTS}, **(env or {})}


def run_script(script: str, settings: ShellSettings = ShellSettings(), env: Mapping[str, str] | None = None) -> ShellResult:
    """Run ``bash -c script`` with no stdin, capturing stdout and stderr; ``env`` adds variables
    to the pack's own environment (the script's value of those names), which never includes the
    pack's token.

    Raises ``OSError`` if bash cannot be started. Waits for the script *and* for its output
    pipes to close (a background child that keeps them open keeps the script running, as in
    flyte-shell), bounded by ``settings.timeout``.
    """
    proc = subprocess.Popen(
        [settings.bash, "-c", script],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=script_environment(env),
    )
    assert proc.stdout is not None and proc.stderr is not None
    out = _Capture(proc.stdout, settings.max_output, "stdout")
    err = _Capture(proc.stderr, settings.max_output, "stderr")
    deadline = None if settings.timeout is None else time.monotonic() + settings.timeout

    def remaining() -> float | None:
        return None if deadline is None else max(0.0, deadline - time.monotonic())

    timed_out = False
    try:
        proc.wait(timeout=remaining())
        for capture in (out, err):
            capture.thread.join(remaining())
        timed_out = out.thread.is_alive() or err.thread.is_alive()
    except subprocess.TimeoutExpired:
        timed_out = True
    if timed_out:
        _terminate(proc, (out, err), settings.kill_grace)
        for capture in (out, err):
            # a process that left the group (setsid) may still hold a pipe: don't wait forever
            capture.thread.join(settings.kill_grace + 1.0)

    code = proc.returncode
    exit_code = TIMEOUT_EXIT_CODE if timed_out else (code if code >= 0 else -1)
    result = ShellResult(
        stdout=out.text(),
        stderr=err.text(),
        exit_code=exit_code,
        timed_out=timed_out,
        stdout_dropped=out.dropped,
        stderr_dropped=err.dropped,
    )
    notes = []
    if timed_out:
        notes.append(f"flyte-shell: script timed out after {settings.timeout:g} s; its process group was killed")
    for stream, dropped in (("stdout", out.dropped), ("stderr", err.dropped)):
        if dropped:
            notes.append(f"flyte-shell: {stream} truncated to {settings.max_output} bytes; {dropped} more bytes dropped")
    if notes:
        sep = "" if not result.stderr or result.stderr.endswith("\n") else "\n"
        result.stderr += sep + "\n".join(notes) + "\n"
    if code is not None and code < 0 and not timed_out:
        log.warning("bash was killed by signal %s", signal.Signals(-code).name)
    return result


def _json_type(value: Any) -> str:
    """The JSON type name, as Go's json error text spells it."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def output_event(stdout: str, stderr: str, exit_code: int) -> Event:
    return Event(OUTPUT_EVENT.name, {"stdout": stdout, "stderr": stderr, "exit_code": exit_code})


class InputError(ValueError):
    """An env-mode input the pack cannot run; the message says what is wrong."""


def env_mode_input(input: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """The script and the variables of ``{"script": "...", "env": {"NAME": "value"}}``; raises
    :class:`InputError` for anything else (unknown keys, a script or a value that is not a string,
    a name that is not ``[A-Za-z_][A-Za-z0-9_]*`` or is one bash or the loader act on)."""
    unknown = [str(key) for key in input if key not in ENV_MODE_KEYS]
    if unknown:
        raise InputError(
            f"Shell input: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            'expected {"script": "...", "env": {"NAME": "value"}}'
        )
    script = input.get("script")
    if script is None:
        script = ""
    if not isinstance(script, str):
        raise InputError(f"Shell input: script must be a string, not {_json_type(script)}")
    env = input.get("env")
    if env is None:
        env = {}
    if not isinstance(env, dict):
        raise InputError(f'Shell input: env must be an object {{"NAME": "value"}}, not {_json_type(env)}')
    for name, value in env.items():
        if not ENV_NAME.fullmatch(name):
            raise InputError(f"Shell input: env name {name!r} is not a variable name ([A-Za-z_][A-Za-z0-9_]*)")
        if name in RESERVED_ENV_NAMES or name.startswith(RESERVED_ENV_PREFIXES):
            raise InputError(f"Shell input: env name {name!r} is reserved (bash or the loader act on it); choose another name")
        if not isinstance(value, str):
            raise InputError(f"Shell input: env value of {name} must be a string, not {_json_type(value)} (quote it in the flow)")
        if "\x00" in value:
            raise InputError(f"Shell input: env value of {name} contains a NUL character, which no environment variable can hold")
    return script, dict(env)


def make_handler(settings: ShellSettings = ShellSettings()) -> Callable[[Any], Event]:
    """The Shell command handler for the given settings."""

    def shell_handler(input: Any) -> Event:
        env: dict[str, str] = {}
        if input is None:  # JSON null decodes to an empty string in flyte-shell
            script = ""
        elif isinstance(input, str):
            script = input
        elif isinstance(input, dict):
            try:
                script, env = env_mode_input(input)
            except InputError as exc:
                log.warning("%s", exc)
                return output_event("", str(exc), 1)
        else:
            message = f"json: cannot unmarshal {_json_type(input)} into Go value of type string"
            log.warning("Shell input is not a string: %s", message)
            return output_event("", message, 1)
        if script == "":
            log.warning(NO_SCRIPT)
            return output_event("", NO_SCRIPT, 1)

        started = time.monotonic()
        try:
            result = run_script(script, settings, env)
        except OSError as exc:
            raise RuntimeError(f"cannot run {settings.bash}: {exc}") from exc
        log.info(
            "script %r%s -> exit code %d in %.2f s (stdout %d chars, stderr %d chars)%s",
            script,
            f" with env {', '.join(sorted(env))}" if env else "",
            result.exit_code,
            time.monotonic() - started,
            len(result.stdout),
            len(result.stderr),
            " [timed out]" if result.timed_out else "",
        )
        log.debug("script %r stdout: %r stderr: %r", script, result.stdout, result.stderr)
        return output_event(**result.payload())

    return shell_handler


shell_handler = make_handler()


def shell_command(settings: ShellSettings = ShellSettings()) -> Command:
    return Command(COMMAND_NAME, handler=make_handler(settings), output_events=[OUTPUT_EVENT])
