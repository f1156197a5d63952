"""Flow validation, normalisation, triggers and representations (api-contract §6), without AWS."""

from pathlib import Path

import pytest
import yaml

from flyte_core.domain import flows
from flyte_core.domain.errors import InvalidInput

QUICK_START = Path(__file__).resolve().parents[2] / "examples" / "uk-bank-holidays.flow.yaml"


def quick_start() -> dict:
    return yaml.safe_load(QUICK_START.read_text())


def minimal(**step_overrides) -> dict:
    step = {
        "id": "s1",
        "event": {"packName": "Slack", "name": "ReceivedMessage"},
        "command": {"packName": "Shell", "name": "Shell", "input": "echo hi"},
    }
    step.update(step_overrides)
    return {"name": "f", "steps": [step]}


def test_the_quick_start_flow_is_valid_and_keeps_its_templates_verbatim():
    flow = flows.parse_flow(quick_start())
    first, second = flow["steps"]
    assert first["criteria"] == "{{ Event.Payload.message|match:'^flyte(\\\\s+)uk-bank-holidays$' }}"
    assert second["dependsOn"] == ["receive_uk_bank_holiday_message_send_response"]
    assert second["command"]["input"]["message"].startswith("Hey <@{{ Context.Requestor }}>!")


def test_only_steps_without_depends_on_are_triggers():
    assert flows.triggers(flows.parse_flow(quick_start())) == [flows.trigger_key("Slack", "ReceivedMessage")]


def test_unknown_keys_are_dropped_and_input_is_always_present():
    document = minimal()
    document["steps"][0]["labels"] = {"env": "x"}
    document["steps"][0]["command"].pop("input")
    step = flows.parse_flow(document)["steps"][0]
    assert "labels" not in step
    assert step["command"]["input"] is None


@pytest.mark.parametrize(
    "document, field, words",
    [
        ({"steps": []}, "", "name"),
        ({"name": "f"}, "", "steps"),
        ({"name": "a/b", "steps": []}, "name", "'/'"),
        ({"name": "", "steps": []}, "name", "empty"),
        ({"name": "f", "steps": [{"id": "s", "command": {"name": "c", "packName": "p"}}]}, "steps[0]", "event"),
        (minimal(event={"packName": "Slack"}), "steps[0].event", "name"),
        (minimal(context={"retries": 3}), "steps[0].context.retries", "string"),
        (minimal(criteria=True), "steps[0].criteria", "string"),
        (minimal(dependsOn="s0"), "steps[0].dependsOn", "array"),
    ],
)
def test_schema_failures_are_400_naming_the_field(document, field, words):
    with pytest.raises(InvalidInput) as refused:
        flows.parse_flow(document)
    assert refused.value.extra["field"] == field
    assert words in refused.value.detail


@pytest.mark.parametrize("without_id", [lambda step: step.pop("id"), lambda step: step.update(id="")])
def test_one_step_without_an_id_is_accepted_with_the_id_of_the_original(without_id):
    document = minimal()
    without_id(document["steps"][0])
    assert flows.parse_flow(document)["steps"][0]["id"] == ""


def test_two_steps_without_an_id_are_refused_saying_why():
    document = minimal()
    document["steps"].append({**document["steps"][0], "id": "named"})
    document["steps"].append({**document["steps"][0], "id": ""})
    del document["steps"][0]["id"]
    with pytest.raises(InvalidInput) as refused:
        flows.parse_flow(document)
    assert refused.value.detail.startswith("steps[0], steps[2] have no id: at most one step of a flow may go without one.")
    assert 'all get the id ""' in refused.value.detail
    assert refused.value.extra == {"field": "steps[2].id"}


@pytest.mark.parametrize(
    "where, meant, typo, field",
    [
        ((0,), "command", "comand", "steps[0].comand"),
        ((0,), "criteria", "critera", "steps[0].critera"),
        ((0, "event"), "packName", "packname", "steps[0].event.packname"),
        ((0, "command"), "input", "imput", "steps[0].command.imput"),
        ((), "steps", "stpes", "stpes"),
    ],
)
def test_a_misspelled_key_is_named_with_the_key_meant(where, meant, typo, field):
    document = minimal(criteria="{{ true }}")
    node = document
    if where:
        node = document["steps"][where[0]]
        for key in where[1:]:
            node = node[key]
    node[typo] = node.pop(meant)
    with pytest.raises(InvalidInput) as refused:
        flows.parse_flow(document)
    assert refused.value.extra["field"] == field
    assert refused.value.detail.startswith(f"{field} is not a key of ")
    assert refused.value.detail.endswith(f"; did you mean '{meant}'?")


def test_a_misspelled_depends_on_is_caught_rather_than_starting_the_step_on_its_own():
    document = minimal()
    document["steps"].append(
        {
            "id": "s2",
            "dependOn": ["s1"],
            "event": {"packName": "Shell", "name": "Output"},
            "command": {"packName": "Slack", "name": "SendMessage"},
        }
    )
    with pytest.raises(InvalidInput) as refused:
        flows.parse_flow(document)
    assert refused.value.detail == "steps[1].dependOn is not a key of a step; did you mean 'dependsOn'?"
    assert refused.value.extra == {"field": "steps[1].dependOn", "stepId": "s2"}


def test_an_object_missing_a_key_names_its_unknown_keys():
    document = minimal()
    document["steps"][0]["do"] = document["steps"][0].pop("command")
    with pytest.raises(InvalidInput) as refused:
        flows.parse_flow(document)
    assert refused.value.detail == "steps[0] must contain ['command'] properties (unknown keys there, ignored: 'do')."


def test_duplicate_step_ids_are_refused():
    document = minimal()
    document["steps"].append(dict(document["steps"][0]))
    with pytest.raises(InvalidInput) as refused:
        flows.parse_flow(document)
    assert refused.value.extra == {"field": "steps[1].id", "stepId": "s1"}


def test_depends_on_must_name_a_step_of_the_flow():
    with pytest.raises(InvalidInput) as refused:
        flows.parse_flow(minimal(dependsOn=["nope"]))
    assert refused.value.extra["field"] == "steps[0].dependsOn[0]"
    assert "'nope'" in refused.value.detail


def test_newlines_are_accepted_in_criteria_and_description():
    document = minimal(criteria="{{ true }}\n")
    document["description"] = "two\nlines"
    assert flows.parse_flow(document)["description"] == "two\nlines"


def test_an_invalid_template_is_reported_with_step_field_and_position():
    with pytest.raises(InvalidInput) as refused:
        flows.parse_flow(minimal(criteria="{{ Event.Payload.message|match:'(' }}"))
    assert refused.value.extra["stepId"] == "s1"
    assert refused.value.extra["field"] == "steps[0].criteria"


def test_representations_carry_links():
    flow = flows.parse_flow(minimal())
    rep = flows.representation(flow, "http://h/")
    assert rep["links"] == [
        {"href": "http://h/v1/flows/f", "rel": "self"},
        {"href": "http://h/v1/flows", "rel": "up"},
        {"href": "http://h/swagger#/flow", "rel": "help"},
    ]
    listing = flows.list_representation([flow, {"name": "a", "description": "d", "steps": []}], "http://h/")
    assert [f["name"] for f in listing["flows"]] == ["a", "f"]
    assert listing["flows"][0] == {"name": "a", "description": "d", "links": [{"href": "http://h/v1/flows/a", "rel": "self"}]}
