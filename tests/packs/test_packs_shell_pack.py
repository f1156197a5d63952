"""The Shell pack end to end against the fake Flyte API: in-process and as its console program."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from flyte_shell_pack import ShellSettings, build_pack


def shell_env(api, **extra):
    return {"FLYTE_API_URL": api.url, **extra}


def test_registers_as_shell_with_the_shell_command_and_output_event(fake_api, run_pack, fast):
    pack = run_pack(build_pack(env=shell_env(fake_api, FLYTE_LABELS="ABC=123"), **fast))
    assert pack.pack_id == "Shell.ABC.123"
    registration = fake_api.registrations[0]
    assert registration["name"] == "Shell"
    assert registration["commands"] == [{"name": "Shell", "events": ["Output"]}]
    assert registration["events"] == [{"name": "Output"}]


def test_runs_a_shell_action_and_posts_its_output(fake_api, run_pack, fast):
    run_pack(build_pack(env=shell_env(fake_api), **fast))
    ok = fake_api.enqueue("Shell", "echo hello; echo oops >&2")
    failing = fake_api.enqueue("Shell", "exit 7")
    empty = fake_api.enqueue("Shell", "")
    result = fake_api.result_of(ok)
    assert result["event"] == "Output"
    assert result["payload"] == {"stdout": "hello\n", "stderr": "oops\n", "exit_code": 0}
    assert fake_api.result_of(failing)["payload"]["exit_code"] == 7
    assert fake_api.result_of(failing)["event"] == "Output"
    assert fake_api.result_of(empty)["payload"] == {"stdout": "", "stderr": "No script supplied to handler", "exit_code": 1}


def test_the_quick_start_script_shape_works(fake_api, run_pack, fast):
    """The seed flow's Shell input style: pipes, $(...), quotes and escapes in one line."""
    run_pack(build_pack(env=shell_env(fake_api), **fast))
    script = (
        'echo \'{"events":[{"date":"2099-01-01","title":"New Year"}]}\' | '
        'python3 -c \'import json,sys; [print(e["date"], "-", e["title"]) '
        'for e in json.load(sys.stdin)["events"]]\' | grep $(echo 2099)'
    )
    result = fake_api.result_of(fake_api.enqueue("Shell", script))
    assert result["payload"] == {"stdout": "2099-01-01 - New Year\n", "stderr": "", "exit_code": 0}


def test_an_env_mode_action_runs_its_script_with_the_values_as_variables(fake_api, run_pack, fast, tmp_path):
    run_pack(build_pack(env=shell_env(fake_api), **fast))
    message = f"hi; touch {tmp_path / 'pwned'}"
    action = fake_api.enqueue("Shell", {"script": 'echo "$MESSAGE"', "env": {"MESSAGE": message}})
    bad = fake_api.enqueue("Shell", {"script": "echo", "env": {"BASH_ENV": "/tmp/x"}})
    result = fake_api.result_of(action)
    assert (result["event"], result["payload"]) == ("Output", {"stdout": message + "\n", "stderr": "", "exit_code": 0})
    assert not (tmp_path / "pwned").exists()
    assert fake_api.result_of(bad)["payload"]["exit_code"] == 1
    assert "env name 'BASH_ENV' is reserved" in fake_api.result_of(bad)["payload"]["stderr"]


def test_bash_missing_completes_the_action_as_fatal(fake_api, run_pack, fast):
    pack = build_pack(env=shell_env(fake_api), settings=ShellSettings(bash="/nonexistent/bash"), **fast)
    run_pack(pack)
    result = fake_api.result_of(fake_api.enqueue("Shell", "echo hi"))
    assert result["event"] == "FATAL"
    assert "cannot run /nonexistent/bash" in result["payload"]
    assert fake_api.actions[next(iter(fake_api.actions))].state == "FATAL"


def test_a_timed_out_script_is_reported_in_its_output(fake_api, run_pack, fast):
    run_pack(build_pack(env=shell_env(fake_api, FLYTE_SHELL_TIMEOUT="1"), **fast))
    result = fake_api.result_of(fake_api.enqueue("Shell", "echo start; sleep 30"))
    assert result["event"] == "Output"
    assert result["payload"]["exit_code"] == 124
    assert result["payload"]["stdout"] == "start\n"
    assert "timed out" in result["payload"]["stderr"]


def program_env(api, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLYTE_", "LOGLEVEL"))}
    env.update(FLYTE_API_URL=api.url, FLYTE_PACK_POLL_WAIT="1", LOGLEVEL="info", **extra)
    return env


def test_program_stops_on_sigterm_after_finishing_the_running_script(fake_api):
    proc = subprocess.Popen(
        [sys.executable, "-m", "flyte_shell_pack"],
        env=program_env(fake_api),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake_api.wait_for(lambda: "Shell" in fake_api.packs, 20), "pack did not register"
        action = fake_api.enqueue("Shell", "sleep 1.5; echo finished")
        assert fake_api.wait_for(lambda: fake_api.actions[action].state == "PENDING", 10)
        proc.send_signal(signal.SIGTERM)
        _, logs = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, logs
    assert fake_api.actions[action].result["payload"] == {"stdout": "finished\n", "stderr": "", "exit_code": 0}
    assert "SIGTERM received: stopping gracefully" in logs
    assert "pack 'Shell' stopped" in logs


def test_program_exits_with_a_clear_error_when_the_api_url_is_missing():
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYTE_")}
    proc = subprocess.run(
        [sys.executable, "-m", "flyte_shell_pack"], env=env, check=False, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 2
    assert "FLYTE_API or FLYTE_API_URL environment variable is not set" in proc.stderr
