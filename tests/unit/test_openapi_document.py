"""The OpenAPI document is generated from the code (`make openapi`), so the committed one must be
what the code says now, and it must describe every answer the API can give."""

import json
from pathlib import Path

from flyte_local import openapi

DOCUMENT = Path(__file__).resolve().parents[2] / "functions" / "info" / "openapi.json"


def test_the_committed_document_is_what_the_code_generates():
    assert json.loads(DOCUMENT.read_text(encoding="utf-8")) == openapi.build_document(), "run `make openapi`"


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_error_an_operation_answers_is_a_problem_body():
    """Except on the routes API Gateway answers itself (issue 21: the ready poll), whose refusals are
    API Gateway's `{"message": ...}` and SQS's errors, and are documented as such."""
    document = openapi.build_document()
    gateways = {f"{method} {path}" for method, path in openapi.SERVICE_ROUTES}
    for name, operation in operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            if name in gateways:
                assert "content" not in response and response["description"], (name, status)
            else:
                assert list(response["content"]) == ["application/problem+json"], (name, status)
    assert set(dict(operations(document))["GET /v1/packs/{packId}/actions/ready"]["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "500",
    }


def test_bodies_parameters_and_statuses_are_described_not_just_paths():
    document = dict(operations(openapi.build_document()))
    create_flow = document["POST /v1/flows"]
    assert set(create_flow["requestBody"]["content"]) == {"application/json", "application/x-yaml"}
    assert create_flow["requestBody"]["content"]["application/x-yaml"]["schema"] == {"$ref": "#/components/schemas/Flow"}
    assert set(create_flow["responses"]) == {"201", "400", "401", "413"}  # 401 under an auth policy
    assert "multipart/form-data" in document["PUT /v1/datastore/{key}"]["requestBody"]["content"]
    assert set(document["PUT /v1/datastore/{key}"]["responses"]) >= {"201", "204", "400", "413", "415"}
    wait = next(p for p in document["POST /v1/packs/{packId}/actions/take"]["parameters"] if p["name"] == "wait")
    assert wait["schema"] == {"type": "integer", "minimum": 0, "maximum": 20}
    limit = next(p for p in document["GET /v1/audit/flows"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 1000)
    assert set(document["DELETE /v1/flows/{flowName}"]["responses"]) == {"204", "401", "404"}
    assert document["GET /swagger"]["responses"]["200"]["content"] == {"text/html": {}}
