"""Flows: post (validated, versioned), list, get, delete (api-contract §6), every saved version; test
one and replay an edit."""

from flyte_core.adapters import Adapters
from flyte_core.domain.errors import InvalidInput
from flyte_core.domain.flows import (
    authored,
    flow_url,
    list_representation,
    parse_flow,
    representation,
    versions_representation,
)
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value
from flyte_core.services import flows
from flyte_core.settings import Settings

settings = Settings.from_environ()  # once per environment (cold start)
app = create_app(settings=settings)
adapters = Adapters(settings)


@app.get("/v1/flows", summary="List flows", tags=["flow"], operation_id="listFlows")
def list_flows():
    request = Request(app)
    return request.respond(list_representation(flows.all_flows(adapters), request.base, request.start()))


@app.post(
    "/v1/flows",
    summary="Create or replace a flow (JSON, or YAML as application/x-yaml)",
    tags=["flow"],
    operation_id="createFlow",
)
def create_flow():
    request = Request(app)
    flow = authored(parse_flow(request.json_body("flow")), request.actor)
    warnings = flows.save(adapters, flow)
    return request.respond({"warnings": warnings}, 201, headers={"Location": flow_url(request.base, flow["name"])})


@app.post(
    "/v1/flows/test",
    summary="Dry run: every step's outcome for an event, without side effects (body: flow, event, states?, context?)",
    tags=["flowTest"],
    operation_id="testFlow",
)
def test_flow():
    request = Request(app)
    return request.respond(_explain().test_flow(adapters, _object_body(request, "test request")))


@app.post(
    "/v1/flows/replay",
    summary="Replay an edit: the candidate and the current version over stored events "
    "(body: flow, since, limit); the steps whose outcome would change",
    tags=["flowTest"],
    operation_id="replayFlow",
)
def replay_flow():
    request = Request(app)
    return request.respond(_explain().replay(adapters, _object_body(request, "replay request"), request.base))


@app.post(
    "/v1/flows/<flowName>/test",
    summary="Dry run of the stored current version (body: event, states?, context?)",
    tags=["flowTest"],
    operation_id="testStoredFlow",
)
def test_stored_flow(flowName: str):
    request = Request(app)
    name = path_value(flowName, "flowName")
    return request.respond(_explain().test_stored_flow(adapters, name, _object_body(request, "test request")))


def _explain():
    """The dry-run service, imported by the first dry run or replay: it brings the step rules, which
    listing, reading and saving flows never use (a cold start of this function stays smaller)."""
    from flyte_core.services import explain

    return explain


def _object_body(request: Request, what: str) -> dict:
    body = request.json_body(what)
    if not isinstance(body, dict):
        raise InvalidInput(f"The {what} must be a JSON (or YAML) object.")
    return body


@app.get("/v1/flows/<flowName>", summary="Get the current version of a flow", tags=["flow"], operation_id="getFlow")
def get_flow(flowName: str):
    request = Request(app)
    return request.respond(representation(flows.current(adapters, path_value(flowName, "flowName")), request.base))


@app.get(
    "/v1/flows/<flowName>/versions",
    summary="Every saved version of a flow, oldest first (also of a deleted flow); paging: start",
    tags=["flow"],
    operation_id="listFlowVersions",
)
def list_flow_versions(flowName: str):
    request = Request(app)
    name, start = path_value(flowName, "flowName"), request.start()
    entries, total = flows.versions(adapters, name, start)
    return request.respond(versions_representation(name, entries, request.base, start, total))


@app.delete("/v1/flows/<flowName>", summary="Delete a flow (running executions finish)", tags=["flow"], operation_id="deleteFlow")
def delete_flow(flowName: str):
    flows.delete(adapters, path_value(flowName, "flowName"), Request(app).actor)
    return empty(204)


lambda_handler = http_entrypoint(app)
