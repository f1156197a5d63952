"""Flow execution rules (api-contract §5) as pure functions: candidates, evaluation order, context, ids."""

from datetime import UTC, datetime

import pytest

from flyte_core.domain import execution, flows
from flyte_core.domain.events import Event
from flyte_core.domain.templating import parse_bool, render

AT = datetime(2022, 6, 23, 10, 0, tzinfo=UTC)


def event(name="ReceivedMessage", pack="Slack", payload=None, labels=None, event_id="e1"):
    return Event(
        id=event_id,
        name=name,
        pack_id=pack,
        pack_name=pack,
        pack_labels=labels or {},
        payload=payload if payload is not None else {},
        created_at=AT,
        received_at=AT,
    )


def step(step_id, on=("Slack", "ReceivedMessage"), **extra):
    command = extra.pop("command", {"packName": "Shell", "name": "Shell", "input": "echo"})
    return {"id": step_id, "event": {"packName": on[0], "name": on[1], **extra.pop("event", {})}, "command": command, **extra}


def flow(*steps):
    return flows.normalise({"name": "f", "steps": list(steps)})


def run(f, ev, context=None, states=None, correlation="5f0a0e00aaaaaaaaaaaaaaaa"):
    return execution.plan(execution.Execution(correlation, "uuid1", f, context or {}, states or {}), ev, render, parse_bool)


def test_candidates_match_pack_and_event_name_in_document_order():
    f = flow(step("a"), step("b", on=("Slack", "Other")), step("c"), step("d", on=("Hipchat", "ReceivedMessage")))
    assert [s["id"] for s in execution.candidate_steps(f, event(), {})] == ["a", "c"]


def test_a_step_runs_at_most_once_per_execution():
    f = flow(step("a"))
    assert execution.candidate_steps(f, event(), {"a": "SUCCESS"}) == []


def test_depends_on_is_satisfied_by_any_finished_step_success_or_fatal():
    f = flow(step("x"), step("y"), step("next", on=("Shell", "Output"), dependsOn=["x", "y"]))
    output = event("Output", "Shell")
    assert execution.candidate_steps(f, output, {}) == []
    assert execution.candidate_steps(f, output, {"x": "PENDING"}) == []
    assert [s["id"] for s in execution.candidate_steps(f, output, {"x": "PENDING", "y": "FATAL"})] == ["next"]
    assert [s["id"] for s in execution.candidate_steps(f, output, {"x": "SUCCESS"})] == ["next"]


def test_context_values_see_the_parent_context_not_each_other():
    f = flow(step("a", context={"one": "1", "two": "{{ Context.one }}-{{ Context.parent }}"}))
    (action,), _ = run(f, event(), context={"parent": "p"})
    assert action.context == {"parent": "p", "one": "1", "two": "-p"}


def test_criteria_see_the_new_context_and_follow_go_parse_bool():
    f = flow(step("a", context={"room": "{{ Event.Payload.room }}"}, criteria="{{ Context.room == 'ops' }}"))
    assert len(run(f, event(payload={"room": "ops"}))[0]) == 1
    assert run(f, event(payload={"room": "dev"})) == ([], [])


@pytest.mark.parametrize("output", [" true", "yes", ""])
def test_criteria_that_are_not_booleans_fail_the_step_for_the_audit(output):
    (actions, (failure,)) = run(flow(step("a", criteria=output or "{{ '' }}")), event())
    assert actions == []
    assert failure.field == "criteria" and failure.step_id == "a"


def test_event_pack_labels_must_be_included_in_the_senders_labels():
    f = flow(step("a", event={"packLabels": {"env": "{{ 'staging' }}"}}))
    assert run(f, event(labels={"env": "staging", "network": "lab"}))[0]
    assert run(f, event(labels={"env": "prod"})) == ([], [])


def test_command_pack_labels_and_input_are_rendered_recursively_keeping_non_strings():
    f = flow(
        step(
            "a",
            context={"env": "{{ Event.Pack.Labels.env }}"},
            command={
                "packName": "Shell",
                "name": "Run",
                "packLabels": {"env": "{{ Context.env }}"},
                "input": {"cmd": "deploy {{ Event.Payload.app }}", "retries": 3, "flags": [True, None, "{{ Context.env }}"]},
            },
        )
    )
    (action,), _ = run(f, event(payload={"app": "web"}, labels={"env": "staging"}))
    assert action.pack_labels == {"env": "staging"}
    assert action.input == {"cmd": "deploy web", "retries": 3, "flags": [True, None, "staging"]}
    assert (action.name, action.pack_name) == ("Run", "Shell")


def test_a_template_error_skips_only_that_step():
    f = flow(step("bad", command={"packName": "Shell", "name": "Shell", "input": "{{ base64Decode('aGk=') }}"}), step("good"))
    actions, (failure,) = run(f, event())
    assert [a.step_id for a in actions] == ["good"]
    assert failure.step_id == "bad" and failure.field == "command.input"
    assert "(line 1" in failure.message  # where in the template, for the audit


def test_ids_are_derived_from_their_causes():
    ev = event()
    assert execution.correlation_id_for(ev, "u1") == execution.correlation_id_for(ev, "u1")
    assert execution.correlation_id_for(ev, "u1") != execution.correlation_id_for(ev, "u2")
    assert execution.correlation_id_for(ev, "u1") != execution.correlation_id_for(event(event_id="e2"), "u1")
    correlation = execution.correlation_id_for(ev, "u1")
    assert len(correlation) == 24 and correlation[:8] == f"{int(AT.timestamp()):08x}"
    assert execution.action_id_for(correlation, "a") == execution.action_id_for(correlation, "a")
    assert execution.action_id_for(correlation, "a") != execution.action_id_for(correlation, "b")


def test_the_quick_start_flow_end_to_end_as_rules():
    from pathlib import Path

    import yaml

    document = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples/uk-bank-holidays.flow.yaml").read_text())
    f = flows.parse_flow(document)
    message = event(
        payload={
            "message": "flyte uk-bank-holidays",
            "channelId": "C1",
            "user": {"id": "U1"},
            "timestamp": "1650000000.000100",
            "threadTimestamp": "",
        }
    )
    (shell,), _ = run(f, message)
    assert shell.pack_name == "Shell" and shell.input.startswith("curl -s https://www.gov.uk/bank-holidays")
    assert shell.context == {"Tts": "1650000000.000100", "ChannelID": "C1", "Requestor": "U1"}
    assert run(f, event(payload={"message": "flyte something-else"})) == ([], [])

    output = event(
        "Output", "Shell", payload={"stdout": "2026-12-25 - Christmas Day\n", "stderr": "", "exit_code": 0}, event_id="e2"
    )
    (reply,), _ = run(f, output, context=shell.context, states={shell.step_id: "SUCCESS"})
    assert reply.pack_name == "Slack" and reply.name == "SendMessage"
    assert reply.input["channelId"] == "C1" and reply.input["threadTimestamp"] == "1650000000.000100"
    assert reply.input["message"].startswith("Hey <@U1>!\nPlease find below")
    assert reply.input["message"].endswith("2026-12-25 - Christmas Day\n")
    failed = event("Output", "Shell", payload={"stdout": "", "stderr": "boom", "exit_code": 1}, event_id="e3")
    assert run(f, failed, context=shell.context, states={shell.step_id: "SUCCESS"}) == ([], [])
