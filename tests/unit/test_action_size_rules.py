"""Issue 8, item 1 in the pipeline: an action is one DynamoDB item holding its trigger, input,
context and result, so a step whose rendered input or context is too large fails for the audit
(like a template error) instead of failing the stream batch again and again."""

from datetime import UTC, datetime

from flyte_core.domain import bounds, execution, flows
from flyte_core.domain.events import Event
from flyte_core.domain.templating import parse_bool, render

AT = datetime(2022, 6, 23, 10, 0, tzinfo=UTC)


def plan(command_input, context=None, payload=None):
    flow = flows.normalise(
        {
            "name": "f",
            "steps": [
                {
                    "id": "big",
                    "event": {"packName": "P", "name": "E"},
                    "context": context or {},
                    "command": {"packName": "Shell", "name": "Run", "input": command_input},
                },
                {
                    "id": "small",
                    "event": {"packName": "P", "name": "E"},
                    "command": {"packName": "Shell", "name": "Run", "input": "ok"},
                },
            ],
        }
    )
    event = Event(id="e1", name="E", pack_id="P", pack_name="P", payload=payload or {}, created_at=AT, received_at=AT)
    planned = execution.plan(execution.Execution("5f0a0e00aaaaaaaaaaaaaaaa", "uuid1", flow, {}, {}), event, render, parse_bool)
    return planned.actions, planned.failures


def test_item1_a_step_rendering_an_input_beyond_the_bound_fails_for_the_audit_and_others_still_run():
    actions, (failure,) = plan("{{ Event.Payload.text }}{{ Event.Payload.text }}", payload={"text": "x" * 60_000})
    assert [a.step_id for a in actions] == ["small"]
    assert failure.step_id == "big" and failure.field == "command.input"
    assert str(bounds.MAX_PAYLOAD_BYTES) in failure.message


def test_item1_a_step_rendering_a_context_beyond_the_bound_fails_the_same_way():
    _, (failure,) = plan("ok", context={"copy": "{{ Event.Payload.text }}"}, payload={"text": "y" * 60_000})
    assert failure.field == "context" and str(bounds.MAX_CONTEXT_BYTES) in failure.message


def test_inputs_within_the_bound_are_planned_as_rendered():
    actions, failures = plan("{{ Event.Payload.text }}", payload={"text": "z" * 50_000})
    assert failures == [] and actions[0].input == "z" * 50_000
