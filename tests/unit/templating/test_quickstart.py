"""The quick-start flow (uk-bank-holidays) works as written."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from flyte_core.templating import check, parse_bool, render

# shared/examples/uk-bank-holidays.flow.yaml, verbatim
QUICK_START = r'''
name: next_uk_bank_holidays
description: prints next UK bank holidays
steps:
- id: receive_uk_bank_holiday_message_send_response
  event:
    packName: Slack
    name: ReceivedMessage
  context:
    Tts: "{% if Event.Payload.threadTimestamp != '' %}{{ Event.Payload.threadTimestamp }}{% else %}{{ Event.Payload.timestamp }}{% endif %}"
    ChannelID: '{{ Event.Payload.channelId }}'
    Requestor: "{{ Event.Payload.user.id }}"
  criteria: "{{ Event.Payload.message|match:'^flyte(\\\\s+)uk-bank-holidays$' }}"
  command:
    packName: Shell
    name: Shell
    input: "curl -s https://www.gov.uk/bank-holidays/england-and-wales.json | jq --arg after $(date +\"%Y\") --raw-output -c '.events[] | select(.date | startswith($after)) | \"\\(.date) - \\(.title)\"'"
- id: send_bank_holiday_response
  event:
    packName: Shell
    name: Output
  dependsOn:
  - receive_uk_bank_holiday_message_send_response
  criteria: "{{ Event.Payload.exit_code|integer == 0 }}"
  command:
    packName: Slack
    name: SendMessage
    input:
      channelId: "{{ Context.ChannelID }}"
      threadTimestamp: "{{ Context.Tts }}"
      message: |-
        Hey <@{{ Context.Requestor }}>!
        Please find below the UK bank holidays for the current year:
        
        {{Event.Payload.stdout}}
'''

SHARED = Path(__file__).resolve().parents[4] / "shared" / "examples" / "uk-bank-holidays.flow.yaml"


def flows() -> list[dict]:
    found = [yaml.safe_load(QUICK_START)]
    if SHARED.exists():
        found.append(yaml.safe_load(SHARED.read_text(encoding="utf-8")))
    return found


def slack(message: str, thread: str | None = "1650000000.000100") -> dict:
    payload = {"channelId": "C024BE91L", "user": {"id": "U2147483697", "name": "jo"}, "message": message,
               "timestamp": "1650000000.000200", "replyCount": 0}
    if thread is not None:
        payload["threadTimestamp"] = thread
    return {"Name": "ReceivedMessage", "Pack": {"Id": "Slack", "Name": "Slack", "Labels": {}}, "Payload": payload}


def shell(exit_code: int, stdout: str) -> dict:
    return {"Name": "Output", "Pack": {"Id": "Shell", "Name": "Shell", "Labels": {}},
            "Payload": {"stdout": stdout, "stderr": "", "exit_code": exit_code}}


def evaluate(step: dict, event: dict, parent: dict):
    """Spec 5.4: context with the parent context, then criteria, then input."""
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


@pytest.fixture(params=range(len(flows())), ids=["embedded", "shared"][:len(flows())])
def flow(request):
    return flows()[request.param]


def test_every_template_of_the_flow_checks(flow):
    for step in flow["steps"]:
        sources = list(step.get("context", {}).values()) + [step["criteria"]]
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


@pytest.mark.parametrize("message, runs", [
    ("flyte uk-bank-holidays", True),
    ("flyte   uk-bank-holidays", True),
    ("flyte\tuk-bank-holidays", True),
    ("flyte uk-bank-holidays please", False),
    ("hey flyte uk-bank-holidays", False),
    ("flyteuk-bank-holidays", False),
])
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
