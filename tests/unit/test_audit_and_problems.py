"""How the audit shows step failures, and which status each domain error gets (pure, no AWS)."""

from datetime import UTC, datetime

import pytest

from flyte_core.domain import audit, execution, flows
from flyte_core.domain.errors import (
    DomainError,
    InvalidInput,
    NotAllowed,
    NotFound,
    StateConflict,
    TooLarge,
    Unavailable,
    UnsupportedFormat,
)
from flyte_core.domain.events import Event
from flyte_core.domain.templating import parse_bool, render
from flyte_core.http.problems import problem_for

AT = datetime(2022, 6, 23, 10, 0, 0, 250000, tzinfo=UTC)


def test_a_step_failure_is_shown_with_its_real_step_id_where_and_why():
    flow = flows.normalise(
        {
            "name": "f",
            "steps": [
                {
                    "id": "bad",
                    "event": {"packName": "Src", "name": "E"},
                    "command": {"packName": "Shell", "name": "Run", "input": "{{ Event.Payload.x | nope }}"},
                }
            ],
        }
    )
    trigger = Event(id="e1", name="E", pack_id="Src", pack_name="Src", payload={"x": 1}, created_at=AT, received_at=AT)
    run = execution.Execution("5f0a0e00aaaaaaaaaaaaaaaa", "uuid1", flow, {}, {})
    planned = execution.plan(run, trigger, render, parse_bool)
    (failure,) = planned.failures
    assert planned.actions == [] and failure.step_id == "bad"
    record = audit.ExecutionRecord(run.correlation_id, flow, "uuid1", actions=[], step_failures=[failure])
    (shown,) = audit.execution_representation(record, "http://h/")["stepFailures"]
    assert shown["stepId"] == "bad" and shown["field"] == "command.input" and "nope" in shown["message"]
    assert shown["time"] == "2022-06-23T10:00:00.25Z"
    assert shown["trigger"]["id"] == "e1" and shown["trigger"]["event"] == "E"


def test_an_execution_without_step_failures_has_no_step_failures_member():
    record = audit.ExecutionRecord("c", {"name": "f", "steps": []}, "uuid1", actions=[], step_failures=[])
    assert "stepFailures" not in audit.execution_representation(record, "http://h/")


@pytest.mark.parametrize(
    "error, status, title",
    [
        (InvalidInput("bad", field="name"), 400, "Bad Request"),
        (NotAllowed("no"), 403, "Forbidden"),
        (NotFound("gone"), 404, "Not Found"),
        (StateConflict("taken"), 409, "Conflict"),
        (TooLarge("big", maxBytes=10), 413, "Payload Too Large"),
        (UnsupportedFormat("send multipart"), 415, "Unsupported Media Type"),
        (Unavailable("later", retryAfterSeconds=60), 503, "Service Unavailable"),
    ],
)
def test_each_domain_error_becomes_its_problem(error, status, title):
    body = problem_for(error)
    assert body == {"type": "about:blank", "title": title, "status": status, "detail": error.detail, **error.extra}


def test_an_error_kind_the_table_does_not_name_gets_its_parents_status_or_500():
    class FlowNameTaken(StateConflict):
        pass

    assert problem_for(FlowNameTaken("taken"))["status"] == 409
    assert problem_for(DomainError("unclassified"))["status"] == 500
