"""Flows: post (validated, versioned), list, get, delete (spec 6); test one and replay an edit."""

from flyte_core.adapters import flows_table
from flyte_core.domain import flows
from flyte_core.domain.errors import InvalidInput, NotFound
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value
from flyte_core.services import explain

app = create_app()


@app.get("/v1/flows", summary="List flows", tags=["flow"], operation_id="listFlows")
def list_flows():
    request = Request(app)
    return request.respond(flows.list_representation(list(flows_table.list_current()), request.base, request.start()))


@app.post("/v1/flows", summary="Create or replace a flow (JSON, or YAML as application/x-yaml)", tags=["flow"],
          operation_id="createFlow")
def create_flow():
    request = Request(app)
    flow = flows.authored(flows.parse_flow(request.json_body("flow")), request.actor)
    warnings = explain.save_flow(flow)
    return request.respond({"warnings": warnings}, 201, headers={"Location": flows.flow_url(request.base, flow["name"])})


@app.post("/v1/flows/test", summary="Dry run: every step's outcome for an event, without side effects "
          "(body: flow, event, states?, context?)", tags=["flowTest"], operation_id="testFlow")
def test_flow():
    request = Request(app)
    body = _object_body(request, "test request")
    flow = flows.parse_flow(body.get("flow"))
    return request.respond(explain.test_flow(flow, body))


@app.post("/v1/flows/replay", summary="Replay an edit: the candidate and the current version over stored events "
          "(body: flow, since, limit); the steps whose outcome would change", tags=["flowTest"], operation_id="replayFlow")
def replay_flow():
    request = Request(app)
    return request.respond(explain.replay(_object_body(request, "replay request"), request.base))


@app.post("/v1/flows/<flowName>/test", summary="Dry run of the stored current version (body: event, states?, context?)",
          tags=["flowTest"], operation_id="testStoredFlow")
def test_stored_flow(flowName: str):
    request = Request(app)
    name = path_value(flowName, "flowName")
    result = explain.test_stored_flow(name, _object_body(request, "test request"))
    if result is None:
        raise NotFound(f"No flow named {name!r}.")
    return request.respond(result)


def _object_body(request: Request, what: str) -> dict:
    body = request.json_body(what)
    if not isinstance(body, dict):
        raise InvalidInput(f"The {what} must be a JSON (or YAML) object.")
    return body


@app.get("/v1/flows/<flowName>", summary="Get the current version of a flow", tags=["flow"], operation_id="getFlow")
def get_flow(flowName: str):
    request = Request(app)
    flow = flows_table.current(path_value(flowName, "flowName"))
    if flow is None:
        raise NotFound(f"No flow named {path_value(flowName, 'flowName')!r}.")
    return request.respond(flows.representation(flow, request.base))


@app.delete("/v1/flows/<flowName>", summary="Delete a flow (running executions finish)", tags=["flow"],
            operation_id="deleteFlow")
def delete_flow(flowName: str):
    if not flows_table.delete(path_value(flowName, "flowName")):
        raise NotFound(f"No flow named {path_value(flowName, 'flowName')!r}.")
    return empty(204)


lambda_handler = http_entrypoint(app)
