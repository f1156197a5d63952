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
    planned = execution.plan(execution.Execution(correlation, "uuid1", f, context or {}, states or {}), ev, render, parse_bool)
    return planned.actions, planned.failures


def outcomes(f, ev, context=None, states=None):
    return {
        o.id: o
        for o in execution.outcomes(
            execution.Execution("5f0a0e00aaaaaaaaaaaaaaaa", "uuid1", f, context or {}, states or {}), ev, render, parse_bool
        )
    }


def fired(f, ev, context=None, states=None):
    return [step_id for step_id, o in outcomes(f, ev, context, states).items() if o.fired]


def test_candidates_match_pack_and_event_name_in_document_order():
    f = flow(step("a"), step("b", on=("Slack", "Other")), step("c"), step("d", on=("Hipchat", "ReceivedMessage")))
    assert fired(f, event()) == ["a", "c"]
    assert [a.step_id for a in run(f, event())[0]] == ["a", "c"]


def test_a_step_runs_at_most_once_per_execution():
    f = flow(step("a"))
    assert fired(f, event(), states={"a": "SUCCESS"}) == []


def test_depends_on_is_satisfied_by_any_finished_step_success_or_fatal():
    f = flow(step("x"), step("y"), step("next", on=("Shell", "Output"), dependsOn=["x", "y"]))
    output = event("Output", "Shell")
    assert fired(f, output, states={}) == []
    assert fired(f, output, states={"x": "PENDING"}) == []
    assert fired(f, output, states={"x": "PENDING", "y": "FATAL"}) == ["next"]
    assert fired(f, output, states={"x": "SUCCESS"}) == ["next"]


# --- the outcome of a step: one per reason, in the order the pipeline checks them -------------------


def test_every_step_gets_an_outcome_in_flow_order_and_a_fired_one_carries_its_command():
    f = flow(
        step("other", on=("Slack", "Other")),
        step(
            "a",
            context={"room": "{{ Event.Payload.room }}"},
            command={"packName": "Shell", "name": "Run", "packLabels": {"env": "prod"}, "input": "echo {{ Context.room }}"},
        ),
    )
    result = execution.outcomes(execution.Execution("c", "u", f, {}, {}), event(payload={"room": "ops"}), render, parse_bool)
    assert [o.id for o in result] == ["other", "a"]
    assert result[1].as_json() == {
        "id": "a",
        "outcome": "fired",
        "reason": None,
        "detail": None,
        "context": {"room": "ops"},
        "command": {"packName": "Shell", "name": "Run", "packLabels": {"env": "prod"}, "input": "echo ops"},
    }


def test_reason_event_says_which_event_the_step_waits_for():
    o = outcomes(flow(step("a", on=("Slack", "Other"))), event())["a"]
    assert (o.outcome, o.reason, o.context, o.command) == ("skipped", "event", None, None)
    assert "'Other' from pack 'Slack'" in o.detail and "'ReceivedMessage' from pack 'Slack'" in o.detail


def test_reason_already_ran_names_the_state_of_the_existing_action():
    o = outcomes(flow(step("a")), event(), states={"a": "PENDING"})["a"]
    assert (o.reason, o.context) == ("alreadyRan", None)
    assert "PENDING" in o.detail


def test_reason_depends_on_lists_what_each_dependency_is_doing():
    f = flow(step("x"), step("y"), step("next", on=("Shell", "Output"), dependsOn=["x", "y"]))
    o = outcomes(f, event("Output", "Shell"), states={"x": "PENDING"})["next"]
    assert o.reason == "dependsOn"
    assert "x: PENDING" in o.detail and "y: not run" in o.detail


def test_already_ran_is_checked_before_depends_on_as_the_pipeline_does():
    f = flow(step("x"), step("next", on=("Shell", "Output"), dependsOn=["x"]))
    assert outcomes(f, event("Output", "Shell"), states={"next": "SUCCESS"})["next"].reason == "alreadyRan"


def test_reason_event_labels_shows_required_and_offered_labels_and_the_context():
    f = flow(step("a", context={"who": "me"}, event={"packLabels": {"env": "{{ 'staging' }}"}}))
    o = outcomes(f, event(labels={"env": "prod"}))["a"]
    assert o.reason == "eventLabels" and o.context == {"who": "me"}
    assert "{env: staging}" in o.detail and "{env: prod}" in o.detail


def test_reason_criteria_shows_what_the_criteria_rendered():
    f = flow(step("a", criteria=r"{{ Event.Payload.message|match:'^flyte(\\s+)uk-bank-holidays$' }}"))
    o = outcomes(f, event(payload={"message": "flyte uk bank holidays"}))["a"]
    assert o.reason == "criteria" and o.context == {}
    assert o.detail.startswith("criteria rendered 'False'")
    assert outcomes(f, event(payload={"message": "flyte uk-bank-holidays"}))["a"].fired


def test_reason_template_names_the_field_the_message_and_the_position():
    f = flow(
        step(
            "a",
            context={"x": "1"},
            command={"packName": "Shell", "name": "Shell", "input": {"cmd": "{{ base64Decode('aGk=') }}"}},
        )
    )
    o = outcomes(f, event())["a"]
    assert o.reason == "template" and o.context == {"x": "1"} and o.command is None
    assert o.detail.startswith("command.input.cmd: ") and "(line 1" in o.detail


def test_a_failing_context_template_stops_before_any_context_exists():
    o = outcomes(flow(step("a", context={"x": "{{ datastore('missing') }}"})), event())["a"]
    assert (o.reason, o.context) == ("template", None)
    assert o.detail.startswith("context.x: ")


def test_criteria_that_do_not_render_a_boolean_are_a_template_outcome():
    o = outcomes(flow(step("a", criteria="yes")), event())["a"]
    assert o.reason == "template" and o.detail.startswith("criteria: rendered 'yes'")


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
