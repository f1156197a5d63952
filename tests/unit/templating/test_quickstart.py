"""The quick-start flow (uk-bank-holidays) works as written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flyte_core.domain.templating import check, parse_bool, render

# The quick-start flow as users post it (the repo's copy of the seed's file; tests/unit/test_examples.py
# checks that the copy is verbatim).
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "uk-bank-holidays.flow.yaml"


def flows() -> list[dict]:
    return [yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))]


def slack(message: str, thread: str | None = "1650000000.000100") -> dict:
    payload = {
        "channelId": "C024BE91L",
        "user": {"id": "U2147483697", "name": "jo"},
        "message": message,
        "timestamp": "1650000000.000200",
        "replyCount": 0,
    }
    if thread is not None:
        payload["threadTimestamp"] = thread
    return {"Name": "ReceivedMessage", "Pack": {"Id": "Slack", "Name": "Slack", "Labels": {}}, "Payload": payload}


def shell(exit_code: int, stdout: str) -> dict:
    return {
        "Name": "Output",
        "Pack": {"Id": "Shell", "Name": "Shell", "Labels": {}},
        "Payload": {"stdout": stdout, "stderr": "", "exit_code": exit_code},
    }


def evaluate(step: dict, event: dict, parent: dict):
    """api-contract §5.4: context with the parent context, then criteria, then input."""
    context = dict(parent)
    for key, source in step.get("context", {}).items():
        context[key] = render(source, {"Event": event, "Context": parent})
    variables = {"Event": event, "Context": context}
    if step.get("criteria") and not parse_bool(render(step["criteria"], variables)):
        return context, None
    command_input = step["command"]["input"]
    if isinstance(command_input, str):
        return context, render(command_input, variables)
    return context, {key: render(value, variables) for key, value in command_input.items()}


@pytest.fixture
def flow():
    return flows()[0]


def test_every_template_of_the_flow_checks(flow):
    for step in flow["steps"]:
        sources = [*step.get("context", {}).values(), step["criteria"]]
        command_input = step["command"]["input"]
        sources += [command_input] if isinstance(command_input, str) else list(command_input.values())
        for source in sources:
            check(source)


def test_trigger_step(flow):
    step = flow["steps"][0]
    context, command_input = evaluate(step, slack("flyte uk-bank-holidays"), {})
    assert context == {"Tts": "1650000000.000100", "ChannelID": "C024BE91L", "Requestor": "U2147483697"}
    assert command_input == step["command"]["input"]  # the shell script, untouched
    assert "\\(.date) - \\(.title)" in command_input and '$(date +"%Y")' in command_input


@pytest.mark.parametrize(
    "message, runs",
    [
        ("flyte uk-bank-holidays", True),
        ("flyte   uk-bank-holidays", True),
        ("flyte\tuk-bank-holidays", True),
        ("flyte uk-bank-holidays please", False),
        ("hey flyte uk-bank-holidays", False),
        ("flyteuk-bank-holidays", False),
    ],
)
def test_trigger_criteria(flow, message, runs):
    _, command_input = evaluate(flow["steps"][0], slack(message), {})
    assert (command_input is not None) is runs


def test_thread_timestamp_falls_back_to_the_message_timestamp(flow):
    for thread in ("", None):
        context, _ = evaluate(flow["steps"][0], slack("flyte uk-bank-holidays", thread), {})
        assert context["Tts"] == "1650000000.000200"


def test_response_step(flow):
    parent = {"Tts": "1650000000.000100", "ChannelID": "C024BE91L", "Requestor": "U2147483697"}
    stdout = "2024-05-06 - Early May bank holiday\n2024-05-27 - Spring bank holiday\n"
    _, command_input = evaluate(flow["steps"][1], shell(0, stdout), parent)
    assert command_input == {
        "channelId": "C024BE91L",
        "threadTimestamp": "1650000000.000100",
        "message": "Hey <@U2147483697>!\nPlease find below the UK bank holidays for the current year:\n\n" + stdout,
    }


def test_response_step_skipped_when_the_script_failed(flow):
    _, command_input = evaluate(flow["steps"][1], shell(7, ""), {})
    assert command_input is None
