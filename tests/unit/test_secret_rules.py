"""Secrets referenced by flows (issue 24), the pure rules: `secret('name')` only in a command's input and
only written as it is, the masked input and its references, the injection an event could try, the
substitution at take time, scopes, and masking a result that echoes a value."""

from datetime import UTC, datetime

import pytest

from flyte_core.domain import execution, flows
from flyte_core.domain import secrets as rules
from flyte_core.domain.errors import InvalidInput
from flyte_core.domain.events import Event
from flyte_core.domain.templating import TemplateError, parse_bool, render, secret_names

AT = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def event(payload):
    return Event("e1", "ReceivedMessage", "Slack", "Slack", {}, payload, AT, AT)


def flow_with(**step_fields):
    command = step_fields.pop("command", {"packName": "Shell", "name": "Shell", "input": "echo"})
    return {
        "name": "f",
        "steps": [{"id": "s1", "event": {"packName": "Slack", "name": "ReceivedMessage"}, "command": command, **step_fields}],
    }


def fire(input_, payload=None):
    """The one action the flow's step creates for an event with this payload."""
    flow = flows.parse_flow(flow_with(command={"packName": "Shell", "name": "Shell", "input": input_}))
    run = execution.Execution("5f0a0e00aaaaaaaaaaaaaaaa", "uuid1", flow, {}, {})
    return execution.plan(run, event(payload or {}), render, parse_bool)


# --- upload -------------------------------------------------------------------------------------


def test_a_secret_in_a_command_input_is_accepted_in_strings_maps_and_lists():
    flow = flows.parse_flow(
        flow_with(command={"packName": "Shell", "name": "Shell", "input": {"h": ["x {{ secret('jira-token') }}"], "n": 1}})
    )
    assert flow["steps"][0]["command"]["input"]["h"] == ["x {{ secret('jira-token') }}"]


@pytest.mark.parametrize(
    ("where", "step_fields"),
    [
        ("criteria", {"criteria": "{{ secret('t') == 'x' }}"}),
        ("context.token", {"context": {"token": "{{ secret('t') }}"}}),
        (
            "command.packLabels.env",
            {"command": {"packName": "Shell", "name": "Shell", "input": "", "packLabels": {"env": "{{ secret('t') }}"}}},
        ),
        (
            "event.packLabels.env",
            {"event": {"packName": "Slack", "name": "ReceivedMessage", "packLabels": {"env": "{{ secret('t') }}"}}},
        ),
    ],
)
def test_a_secret_anywhere_but_the_input_is_an_upload_error_naming_the_field(where, step_fields):
    with pytest.raises(InvalidInput) as refused:
        flows.parse_flow(flow_with(**step_fields))
    assert refused.value.extra["field"] == f"steps[0].{where}"
    assert "only in a command's input" in refused.value.detail


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("{{ secret('t')|upper }}", "must stand alone"),
        ("{{ base64Encode(secret('t')) }}", "must stand alone"),
        ("{% if secret('t') %}x{% endif %}", "must stand alone"),
        ("{{ secret(Event.Payload.name) }}", "quoted string"),  # an event may not choose the secret
        ("{{ secret('t', 'u') }}", "one argument"),
        ("{{ secret('no spaces') }}", "name"),
    ],
)
def test_a_secret_that_is_not_written_as_it_is_is_refused_at_upload(source, words):
    with pytest.raises(InvalidInput) as refused:
        flows.parse_flow(flow_with(command={"packName": "Shell", "name": "Shell", "input": source}))
    assert words in refused.value.detail
    assert refused.value.extra["field"] == "steps[0].command.input"


def test_secret_names_lists_the_references_of_a_template():
    assert secret_names("a {{ secret('x') }} {% for i in [1] %}{{ secret(\"y\") }}{% endfor %}") == ["x", "y"]
    assert secret_names("{{ Event.Payload.secret }}") == []


# --- match time: masks and references, never values -----------------------------------------------


def test_the_stored_input_holds_masks_and_the_positions_of_the_references():
    planned = fire(
        {"script": "curl -H 'Authorization: Bearer {{ secret('tok') }}' {{ Event.Payload.url }}", "n": 2}, {"url": "https://x"}
    )
    (action,) = planned.actions
    assert action.input == {"script": "curl -H 'Authorization: Bearer «secret:tok»' https://x", "n": 2}
    (outcome,) = planned.outcomes
    assert outcome.command["input"] == action.input  # dry runs, replays and traces read the outcome: the mask
    assert action.secret_refs == [{"path": ["script"], "at": [[31, "tok"]]}]
    assert rules.substitute(action.input, action.secret_refs, {"tok": "s3cr3t"})["script"].startswith(
        "curl -H 'Authorization: Bearer s3cr3t'"
    )


def test_event_text_that_looks_like_a_mask_is_never_substituted():
    """The injection: a chat message holding «secret:tok» must reach the pack as that text."""
    planned = fire("echo {{ Event.Payload.message }} {{ secret('tok') }}", {"message": "«secret:tok»"})
    (action,) = planned.actions
    assert action.input == "echo «secret:tok» «secret:tok»"
    assert rules.substitute(action.input, action.secret_refs, {"tok": "V"}) == "echo «secret:tok» V"


def test_event_text_cannot_forge_the_marker_secret_renders():
    forged = "\x00flyte-secret:" + "0" * 32 + ":tok\x00"
    planned = fire("echo {{ Event.Payload.message }}", {"message": forged})
    (action,) = planned.actions
    assert action.secret_refs is None and action.input == f"echo {forged}"


def test_a_secret_inside_template_from_event_data_fails_the_step():
    """template() renders text the event may supply: it may not reach secret()."""
    planned = fire("{{ template(Event.Payload.t, Event.Payload) }}", {"t": "{{ secret('tok') }}"})
    assert planned.actions == []
    (failure,) = planned.failures
    assert failure.field == "command.input" and "inside template()" in failure.message


def test_substitute_refuses_an_input_that_no_longer_holds_the_mask():
    with pytest.raises(ValueError):
        rules.substitute("echo changed", [{"path": [], "at": [[5, "tok"]]}], {"tok": "V"})


def test_a_marker_a_filter_changed_is_a_step_error_at_run_time():
    with pytest.raises(ValueError, match="written into the input as it is"):
        rules.extract(render("{{ secret('tok')|upper }}", {}))


def test_secret_renders_nothing_usable_outside_a_render_of_the_engine():
    with pytest.raises(TemplateError):
        render("{{ secret('bad name') }}", {})


# --- take: scope ----------------------------------------------------------------------------------


def test_a_scope_limits_packs_by_name_and_labels_and_flows():
    scope = rules.parse_scope({"packs": ["Shell"], "labels": {"env": "prod"}, "flows": ["deploy"]})
    assert scope.refusal("tok", "Shell", {"env": "prod", "x": "y"}, "deploy") is None
    assert "limited to packs Shell" in scope.refusal("tok", "Other", {"env": "prod"}, "deploy")
    assert "labelled env=prod" in scope.refusal("tok", "Shell", {"env": "dev"}, "deploy")
    assert "limited to flows deploy" in scope.refusal("tok", "Shell", {"env": "prod"}, "other")
    assert rules.Scope().refusal("tok", "Any", {}, "any") is None


@pytest.mark.parametrize(
    "body",
    [
        None,
        {"value": ""},
        {"value": 3},
        {"value": "x", "extra": 1},
        {"value": "x", "scope": {"packs": "Shell"}},
        {"value": "x" * 5000},
    ],
)
def test_a_bad_upload_is_refused_saying_what_is_wrong(body):
    with pytest.raises(InvalidInput):
        rules.parse_upload(body)


def test_names_follow_the_rule():
    assert rules.check_name("jira.token_2-x") == "jira.token_2-x"
    for bad in ["", "-x", "a/b", "a b", "x" * 129]:
        with pytest.raises(InvalidInput):
            rules.check_name(bad)


def test_metadata_round_trips_through_the_store_description():
    upload = rules.parse_upload({"value": "v", "description": "Jira", "scope": {"packs": ["Shell"]}})
    meta = rules.from_description("jira", rules.describe(upload, {"iss": "i", "sub": "alice"}), 3, AT)
    assert (meta.description, meta.scope.packs, meta.changed_by, meta.version) == (
        "Jira",
        ("Shell",),
        {"iss": "i", "sub": "alice"},
        3,
    )
    assert "v" not in rules.representation(meta, "http://h/").values()
    assert rules.open_envelope(rules.envelope(upload)) == ("v", upload.scope)


# --- results ----------------------------------------------------------------------------------------


def test_a_result_echoing_a_value_is_masked_everywhere_in_it():
    payload = {"stdout": "token is s3cr3t\n", "lines": ["s3cr3t", 1], "s3cr3t": True}
    assert rules.mask_values(payload, [("tok", "s3cr3t")]) == {
        "stdout": "token is «secret:tok»\n",
        "lines": ["«secret:tok»", 1],
        "«secret:tok»": True,
    }
    assert rules.mask_values("ab-abc", [("short", "ab"), ("long", "abc")]) == "«secret:short»-«secret:long»"
