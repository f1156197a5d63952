"""The Shell command handler with real bash: the flyte-shell contract plus timeout and output cap."""

from __future__ import annotations

import os
import time

import pytest

from flyte_pack import ConfigError
from flyte_shell_pack import NO_SCRIPT, ShellSettings, make_handler, shell_handler


def payload(event):
    assert event.name == "Output"
    return event.payload


def test_script_output_is_returned_raw_with_trailing_newline():
    assert payload(shell_handler("echo -e 'world\\nhello' | sort")) == {"stdout": "hello\nworld\n", "stderr": "", "exit_code": 0}


def test_stderr_and_non_zero_exit_are_still_an_output_event():
    assert payload(shell_handler("echo oh ; >&2 echo dear; exit 3")) == {"stdout": "oh\n", "stderr": "dear\n", "exit_code": 3}


def test_script_runs_in_bash_with_no_stdin():
    out = payload(shell_handler("[[ -n $BASH_VERSION ]] && echo bash; cat; echo end"))
    assert out == {"stdout": "bash\nend\n", "stderr": "", "exit_code": 0}


def test_a_script_cannot_read_the_packs_token_but_sees_the_rest_of_its_environment(monkeypatch):
    monkeypatch.setenv("FLYTE_JWT", "the-packs-own-token")
    monkeypatch.setenv("TEAM_SETTING", "kept")
    out = payload(shell_handler('echo "${FLYTE_JWT:-none} $TEAM_SETTING"'))
    assert out["stdout"] == "none kept\n"
    env_mode = payload(shell_handler({"script": 'echo "${FLYTE_JWT:-none} $M"', "env": {"M": "hi"}}))
    assert env_mode["stdout"] == "none hi\n"


@pytest.mark.parametrize("value, kind", [(["ls"], "array"), (42, "number"), (True, "bool")])
def test_input_that_is_neither_a_string_nor_an_object_gives_exit_code_1_and_the_error(value, kind):
    assert payload(shell_handler(value)) == {
        "stdout": "",
        "stderr": f"json: cannot unmarshal {kind} into Go value of type string",
        "exit_code": 1,
    }


@pytest.mark.parametrize("value", ["", None])
def test_empty_script_is_reported(value):
    assert payload(shell_handler(value)) == {"stdout": "", "stderr": NO_SCRIPT, "exit_code": 1}


def test_timeout_kills_the_whole_process_group_and_says_so(tmp_path):
    pid_file = tmp_path / "child.pid"
    handler = make_handler(ShellSettings(timeout=1, kill_grace=1))
    started = time.monotonic()
    out = payload(handler(f"sleep 60 & echo $! > {pid_file}; echo working; sleep 60"))
    assert time.monotonic() - started < 5
    assert out["exit_code"] == 124
    assert out["stdout"] == "working\n"
    assert "timed out after 1 s" in out["stderr"] and "process group was killed" in out["stderr"]
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child), "the background child survived the timeout"


def test_timeout_applies_while_a_background_child_holds_the_output_open():
    # bash exits at once, but its child keeps stdout open: flyte-shell would wait for it forever
    out = payload(make_handler(ShellSettings(timeout=1, kill_grace=1))("sleep 60 & echo bg"))
    assert out["exit_code"] == 124 and out["stdout"] == "bg\n"


def test_a_script_ignoring_sigterm_is_killed_after_the_grace():
    handler = make_handler(ShellSettings(timeout=0.5, kill_grace=0.5))
    started = time.monotonic()
    assert payload(handler("trap '' TERM; sleep 60"))["exit_code"] == 124
    assert time.monotonic() - started < 4


def test_output_beyond_the_cap_is_dropped_and_reported():
    handler = make_handler(ShellSettings(max_output=1000))
    out = payload(handler("head -c 1000000 /dev/zero | tr '\\0' a; echo done >&2"))
    assert out["exit_code"] == 0  # the script was never blocked by a full pipe
    assert out["stdout"] == "a" * 1000
    assert out["stderr"] == ("done\nflyte-shell: stdout truncated to 1000 bytes; 999000 more bytes dropped\n")


def test_the_cap_never_splits_a_utf8_character():
    out = payload(make_handler(ShellSettings(max_output=5))("printf 'ééé'"))
    assert out["stdout"] == "éé"  # 4 bytes kept, the cut third character dropped whole


def test_invalid_utf8_is_replaced_not_fatal():
    assert payload(shell_handler("printf 'a\\xffb'"))["stdout"] == "a\ufffdb"


def test_bash_that_cannot_be_started_raises_for_the_fatal_path():
    with pytest.raises(RuntimeError, match="cannot run /nonexistent/bash"):
        make_handler(ShellSettings(bash="/nonexistent/bash"))("echo hi")


def test_settings_from_environment():
    assert ShellSettings.from_env({}) == ShellSettings(timeout=300, max_output=65536)
    assert ShellSettings.from_env({"FLYTE_SHELL_TIMEOUT": "0", "FLYTE_SHELL_MAX_OUTPUT_BYTES": "0"}) == ShellSettings(
        timeout=None, max_output=None
    )
    assert ShellSettings.from_env({"FLYTE_SHELL_TIMEOUT": "12"}).timeout == 12
    for bad in ({"FLYTE_SHELL_TIMEOUT": "-1"}, {"FLYTE_SHELL_MAX_OUTPUT_BYTES": "1k"}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            ShellSettings.from_env(bad)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie waiting for its (re)parent to reap it is dead for our purpose
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
