"""Event text never becomes shell code (issue 19, part 3), over HTTP on the local stack.

The same chat step written three ways: the unsafe `echo {{ Event.Payload.message }}`, the quoted
`|shellquote` and the Shell pack's env mode. A dry run shows what each would send the Shell pack
for a hostile message, and that input, run by the Shell pack's handler with real bash, runs the
message only in the unsafe form. Uploading the unsafe flow answers a warning; the safe ones none."""

from pathlib import Path

import pytest

from flyte_shell_pack import shell_handler

pytestmark = pytest.mark.e2e

QUICK_START = Path(__file__).resolve().parents[2] / "examples" / "uk-bank-holidays.flow.yaml"
UNSAFE = "echo {{ Event.Payload.message }}"
QUOTED = "echo {{ Event.Payload.message|shellquote }}"
ENV_MODE = {"script": 'echo "$MESSAGE"', "env": {"MESSAGE": "{{ Event.Payload.message }}"}}


def chat_flow(name, input_):
    return {
        "name": name,
        "steps": [
            {
                "id": "echo",
                "event": {"packName": "Chat", "name": "Said"},
                "command": {"packName": "Shell", "name": "Shell", "input": input_},
            }
        ],
    }


def said(message):
    return {"packName": "Chat", "event": "Said", "payload": {"message": message}}


@pytest.fixture
def packs(make_pack):
    """The Shell pack and a chat pack that declares `Said`, so that no warning is about packs."""
    make_pack("Shell", commands=[{"name": "Shell", "events": ["Output"]}])
    make_pack("Chat", commands=[{"name": "Reply", "events": ["Said"]}])


def dry_run_input(api, flow, message):
    response = api.post(api.base + "/v1/flows/test", json={"flow": flow, "event": said(message)})
    assert response.status_code == 200, response.text
    (step,) = response.json()["steps"]
    assert step["outcome"] == "fired", step
    return step["command"]["input"]


def test_the_dry_run_shows_the_message_inside_the_unsafe_script_and_bash_runs_it(api, tmp_path):
    victim = tmp_path / "pwned"
    message = f"hi; touch {victim}"
    rendered = dry_run_input(api, chat_flow("unsafe", UNSAFE), message)
    assert rendered == f"echo hi; touch {victim}"
    assert shell_handler(rendered).payload["stdout"] == "hi\n"
    assert victim.exists(), "the unsafe form runs the chat message as a command"


@pytest.mark.parametrize(
    "input_, expected",
    [
        (QUOTED, "echo 'hi; touch {victim}'"),
        (ENV_MODE, {"script": 'echo "$MESSAGE"', "env": {"MESSAGE": "hi; touch {victim}"}}),
    ],
    ids=["shellquote", "env-mode"],
)
def test_the_dry_run_of_the_safe_flows_keeps_the_message_text_and_bash_only_prints_it(api, tmp_path, input_, expected):
    victim = tmp_path / "pwned"
    for message, shown in ((f"hi; touch {victim}", f"hi; touch {victim}"), (f"$(touch {victim})", f"$(touch {victim})")):
        rendered = dry_run_input(api, chat_flow("safe", input_), message)
        if isinstance(expected, str):
            assert rendered == "echo " + "'" + shown + "'"
        else:
            assert rendered == {"script": expected["script"], "env": {"MESSAGE": shown}}
        assert shell_handler(rendered).payload == {"stdout": message + "\n", "stderr": "", "exit_code": 0}
        assert not victim.exists()


def test_the_stored_version_is_dry_run_by_name_with_the_same_input(api, packs):
    assert api.post(api.base + "/v1/flows", json=chat_flow("stored-quoted", QUOTED)).status_code == 201
    response = api.post(api.base + "/v1/flows/stored-quoted/test", json={"event": said("$(id)")})
    assert response.status_code == 200, response.text
    assert response.json()["steps"][0]["command"]["input"] == "echo '$(id)'"


def test_uploading_the_unsafe_flow_answers_a_warning_naming_the_step_the_tag_and_the_fix(api, packs):
    response = api.post(api.base + "/v1/flows", json=chat_flow("warned-shell", UNSAFE))
    assert response.status_code == 201, response.text  # still stored: the original's flows keep working
    assert response.headers["Location"] == api.base + "/v1/flows/warned-shell"
    (warning,) = response.json()["warnings"]
    assert (warning["stepId"], warning["field"]) == ("echo", "steps[0].command.input")
    assert warning["detail"].startswith("{{ Event.Payload.message }} (line 1, column 6)")
    assert "{{ Event.Payload.message|shellquote }}" in warning["detail"] and "env mode" in warning["detail"]
    assert api.get(api.base + "/v1/flows/warned-shell").json()["steps"][0]["command"]["input"] == UNSAFE


@pytest.mark.parametrize("input_", [QUOTED, ENV_MODE], ids=["shellquote", "env-mode"])
def test_uploading_a_safe_flow_answers_no_warning(api, packs, input_):
    response = api.post(api.base + "/v1/flows", json=chat_flow("safe-shell", input_))
    assert response.status_code == 201, response.text
    assert response.json() == {"warnings": []}


def test_the_quick_start_flow_gives_no_shell_warning(api, packs):
    response = api.post(api.base + "/v1/flows", data=QUICK_START.read_bytes(), headers={"content-type": "application/x-yaml"})
    assert response.status_code == 201, response.text
    # (the Slack pack is not registered here: those warnings are about packs, not about the script)
    assert [w["field"] for w in response.json()["warnings"] if w["field"].startswith("steps[0].command")] == []
