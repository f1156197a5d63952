"""Upload warnings for Shell commands that write event text into their script (issue 19, part 3).

A flow's Shell input is a `bash -c` script: event or context text put into it unquoted runs as code.
Such flows still upload (the original's flows keep working) with a warning naming the step, the
tag and the fix; quoted values and the env mode's values give none."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flyte_core.domain import flows
from flyte_core.domain.packs import Pack

ROOT = Path(__file__).resolve().parents[2]
SHELL = {"Shell": [Pack(id="Shell", name="Shell", commands=[{"name": "Shell", "events": ["Output"], "links": []}], events=[])]}
CHAT = {"Chat": [Pack(id="Chat", name="Chat", commands=[], events=[{"name": "Said", "links": []}])]}
REGISTERED = {**SHELL, **CHAT}


def flow_with(input_, pack="Shell", context=None):
    step = {
        "id": "run",
        "event": {"packName": "Chat", "name": "Said"},
        "command": {"packName": pack, "name": "Shell", "input": input_},
    }
    if context:
        step["context"] = context
    return flows.parse_flow({"name": "f", "steps": [step]})


UNSAFE = "echo {{ Event.Payload.message }}"
QUOTED = "echo {{ Event.Payload.message|shellquote }}"
ENV_MODE = {"script": 'echo "$MESSAGE"', "env": {"MESSAGE": "{{ Event.Payload.message }}"}}


def test_the_unsafe_flow_uploads_with_a_warning_naming_the_step_the_tag_and_the_fixes():
    warnings = flows.upload_warnings(flow_with(UNSAFE), REGISTERED)
    assert [(w["stepId"], w["field"]) for w in warnings] == [("run", "steps[0].command.input")]
    detail = warnings[0]["detail"]
    assert detail.startswith("{{ Event.Payload.message }} (line 1, column 6) writes event or context text")
    assert "write {{ Event.Payload.message|shellquote }}" in detail
    assert '"env": {"VALUE": "{{ Event.Payload.message }}"}' in detail


@pytest.mark.parametrize("input_", [QUOTED, ENV_MODE, {"script": "printf '%s\\n' {{ Context.room|shellquote }}", "env": {}}])
def test_the_safe_flows_give_no_warning(input_):
    assert flows.upload_warnings(flow_with(input_, context={"room": "{{ Event.Payload.room }}"}), REGISTERED) == []


def test_context_values_count_as_event_text():
    warnings = flows.shell_warnings(flow_with("cd /srv/{{ Context.room }} && ls", context={"room": "{{ Event.Payload.room }}"}))
    assert [w["field"] for w in warnings] == ["steps[0].command.input"]
    assert "{{ Context.room|shellquote }}" in warnings[0]["detail"]


def test_the_env_modes_script_is_checked_and_its_values_are_not():
    input_ = {"script": 'echo {{ Event.Payload.user }} "$MESSAGE"', "env": {"MESSAGE": "{{ Event.Payload.message }}"}}
    warnings = flows.shell_warnings(flow_with(input_))
    assert [w["field"] for w in warnings] == ["steps[0].command.input.script"]
    assert warnings[0]["detail"].startswith("{{ Event.Payload.user }} (line 1, column 6)")


def test_a_quoted_tag_inside_the_scripts_own_quotes_is_a_warning_saying_to_remove_them():
    (warning,) = flows.shell_warnings(flow_with('echo "{{ Event.Payload.message|shellquote }}"'))
    assert 'sits inside "..."' in warning["detail"] and "remove the quotes around the tag" in warning["detail"]


def test_every_unsafe_tag_of_a_script_is_a_warning_of_its_own():
    warnings = flows.shell_warnings(
        flow_with("echo {{ Event.Payload.a }}\necho {{ Event.Payload.b|shellquote }} {{ Context.c }}")
    )
    assert [w["detail"].split(" (")[0] for w in warnings] == ["{{ Event.Payload.a }}", "{{ Context.c }}"]


def test_a_flow_full_of_unquoted_values_gets_a_bounded_answer():
    warnings = flows.shell_warnings(flow_with(" ".join(f"{{{{ Event.Payload.a{i} }}}}" for i in range(500))))
    assert len(warnings) == flows.MAX_SHELL_WARNINGS + 1
    assert warnings[-1]["detail"].startswith(f"{500 - flows.MAX_SHELL_WARNINGS} more values of Shell scripts")


def test_only_the_shell_pack_runs_its_input_as_a_script():
    assert flows.shell_warnings(flow_with(UNSAFE, pack="Slack")) == []
    assert flows.shell_warnings(flow_with({"message": UNSAFE})) == []  # no script key: not a script
    assert flows.shell_warnings(flow_with(None)) == []


def test_the_quick_start_flow_gives_no_warning():
    document = yaml.safe_load((ROOT / "examples" / "uk-bank-holidays.flow.yaml").read_text(encoding="utf-8"))
    assert flows.shell_warnings(flows.parse_flow(document)) == []
