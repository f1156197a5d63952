"""Flows: post (validated, versioned), list, get, delete (api-contract §6)."""

from flyte_core.adapters import Adapters
from flyte_core.domain.flows import authored, flow_url, list_representation, parse_flow, representation
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value
from flyte_core.services import flows
from flyte_core.settings import Settings

app = create_app()
adapters = Adapters(Settings.from_environ())  # once per environment (cold start)


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
    flows.save(adapters, flow)
    return empty(201, headers={"Location": flow_url(request.base, flow["name"])})


@app.get("/v1/flows/<flowName>", summary="Get the current version of a flow", tags=["flow"], operation_id="getFlow")
def get_flow(flowName: str):
    request = Request(app)
    return request.respond(representation(flows.current(adapters, path_value(flowName, "flowName")), request.base))


@app.delete("/v1/flows/<flowName>", summary="Delete a flow (running executions finish)", tags=["flow"], operation_id="deleteFlow")
def delete_flow(flowName: str):
    flows.delete(adapters, path_value(flowName, "flowName"))
    return empty(204)


lambda_handler = http_entrypoint(app)
