"""The Shell pack's env mode, and event text in Shell scripts (issue 19, part 3), with real bash.

A flow's Shell input is rendered by the engine's own code (`render_input`) for a hostile chat
message, then run by the Shell command handler: written into the script as it is, the message runs
(the risk); through `shellquote` or the env mode it is only ever text."""

from __future__ import annotations

import os

import pytest

from flyte_core.domain.execution import render_input
from flyte_core.domain.templating import render
from flyte_shell_pack import NO_SCRIPT, InputError, env_mode_input, shell_handler

UNSAFE = "echo {{ Event.Payload.message }}"
QUOTED = "echo {{ Event.Payload.message|shellquote }}"
ENV_MODE = {"script": 'echo "$MESSAGE"', "env": {"MESSAGE": "{{ Event.Payload.message }}"}}


def payload(event):
    assert event.name == "Output"
    return event.payload


def run_flow_input(input_template, message):
    """What the Shell pack gets and answers for a step with this input and a chat message."""
    rendered = render_input(input_template, {"Event": {"Payload": {"message": message}}, "Context": {}}, render, "command.input")
    return payload(shell_handler(rendered))


def hostile(victim):
    """Chat messages that run `touch` when written into a script as they are."""
    return [f"hi; touch {victim}", f"$(touch {victim})", f"`touch {victim}`", f"hi\ntouch {victim}", f"hi | touch {victim}"]


@pytest.mark.parametrize("index", range(5))
def test_unsafe_a_message_written_into_the_script_runs_as_shell_code(tmp_path, index):
    # the risk the two safe forms exist for: the quick-start style "echo {{ ... }}" runs the message
    victim = tmp_path / "pwned"
    run_flow_input(UNSAFE, hostile(victim)[index])
    assert victim.exists()


@pytest.mark.parametrize("input_template", [QUOTED, ENV_MODE], ids=["shellquote", "env-mode"])
@pytest.mark.parametrize("index", range(6))
def test_safe_the_message_is_printed_and_nothing_runs(tmp_path, input_template, index):
    victim = tmp_path / "pwned"
    message = [*hostile(victim), f"it's'; touch {victim}; echo '"][index]
    out = run_flow_input(input_template, message)
    assert out == {"stdout": message + "\n", "stderr": "", "exit_code": 0}
    assert not victim.exists()


def test_env_mode_adds_the_values_to_the_packs_environment():
    out = payload(shell_handler({"script": 'printf "%s|%s|%s" "$A" "$_b2" "${HOME:+home}"', "env": {"A": "x y", "_b2": "$(id)"}}))
    assert out == {"stdout": "x y|$(id)|" + ("home" if os.environ.get("HOME") else ""), "stderr": "", "exit_code": 0}


def test_env_mode_without_env_runs_the_script_and_an_empty_script_is_reported():
    assert payload(shell_handler({"script": "echo hi"}))["stdout"] == "hi\n"
    assert payload(shell_handler({"script": "", "env": {"A": "1"}})) == {"stdout": "", "stderr": NO_SCRIPT, "exit_code": 1}


@pytest.mark.parametrize(
    "bad, says",
    [
        ({"script": "ls", "evn": {}}, "unknown key 'evn'"),
        ({"script": ["ls"]}, "script must be a string, not array"),
        ({"script": "ls", "env": ["A=1"]}, "env must be an object"),
        ({"script": "ls", "env": {"A-B": "1"}}, "env name 'A-B' is not a variable name"),
        ({"script": "ls", "env": {"1A": "1"}}, "env name '1A' is not a variable name"),
        ({"script": "ls", "env": {"": "1"}}, "env name '' is not a variable name"),
        ({"script": "ls", "env": {"BASH_ENV": "/tmp/x"}}, "env name 'BASH_ENV' is reserved"),
        ({"script": "ls", "env": {"LD_PRELOAD": "/tmp/x.so"}}, "env name 'LD_PRELOAD' is reserved"),
        ({"script": "ls", "env": {"PATH": "/tmp"}}, "env name 'PATH' is reserved"),
        ({"script": "ls", "env": {"PS4": "$(id)"}}, "env name 'PS4' is reserved"),
        ({"script": "ls", "env": {"N": 5}}, "env value of N must be a string, not number"),
        ({"script": "ls", "env": {"N": None}}, "env value of N must be a string"),
        ({"script": "ls", "env": {"N": "a\x00b"}}, "contains a NUL character"),
    ],
)
def test_a_bad_env_mode_input_is_an_output_with_exit_code_1_saying_what_is_wrong(bad, says, tmp_path):
    with pytest.raises(InputError, match="Shell input: "):
        env_mode_input(bad)
    out = payload(shell_handler(bad))
    assert out["exit_code"] == 1 and out["stdout"] == ""
    assert says in out["stderr"] and out["stderr"].startswith("Shell input: ")


def test_a_string_input_still_runs_as_before_and_sees_no_extra_variables():
    out = payload(shell_handler('printf "%s" "${MESSAGE-unset}"'))
    assert out == {"stdout": "unset", "stderr": "", "exit_code": 0}
