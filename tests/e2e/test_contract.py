"""The served OpenAPI document is the API's contract: schemathesis reads it from the running local
stack, generates requests for every operation from its schemas (valid ones and invalid ones), and
checks each answer: never a 5xx, only documented status codes and content types, bodies and headers
as documented."""

import json
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.e2e
DOCUMENT = Path(__file__).resolve().parents[2] / "functions" / "info" / "openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Bounded, and the same examples on every run (derandomized): a gate, not a lottery; explore with
# schemathesis' CLI against `make run` when the document changes.
EXAMPLES_PER_OPERATION = 25


# The committed document, which the test below shows is the one served (schemathesis' own fixture
# loader does not run on pytest 9).
contract = schemathesis.openapi.from_path(DOCUMENT)


@contract.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_every_operation_answers_as_its_document_says(case, stack):
    if case.query and "wait" in case.query:
        case.query["wait"] = 0  # a take's long poll would spend the run waiting; its bounds are tested below
    case.call_and_validate(base_url=stack.url, checks=CHECKS)


def test_the_take_wait_bounds_are_those_documented(stack):
    requests.post(f"{stack.url}/v1/packs", json={"name": "Bounds"}).raise_for_status()
    take = f"{stack.url}/v1/packs/Bounds/actions/take"
    assert requests.post(take, params={"wait": 0}).status_code == 204
    for outside in (-1, 21, "x"):
        answer = requests.post(take, params={"wait": outside})
        assert (answer.status_code, answer.headers["content-type"]) == (400, "application/problem+json")
        assert answer.json()["field"] == "wait"


def test_the_served_document_is_the_committed_one(stack):
    assert requests.get(f"{stack.url}/v1/swagger").json() == json.loads(DOCUMENT.read_text(encoding="utf-8"))


def test_following_the_documented_links_keeps_the_contract(stack):
    """Stateful: register a pack then get it and take from it, store a flow then get it, store an
    item then get it, as the documented links say."""
    machine = contract.as_state_machine()

    class Links(machine):
        def before_call(self, case):
            if case.query and "wait" in case.query:
                case.query["wait"] = 0

        def validate_response(self, response, case, **kwargs):
            case.validate_response(response, checks=CHECKS)

        def call(self, case, **kwargs):
            return case.call(base_url=stack.url, **kwargs)

    Links.run(
        settings=settings(
            max_examples=10,
            stateful_step_count=4,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
