"""Flows: post (validated, versioned), list, get, delete (spec 6)."""

from flyte_core.adapters import flows_table
from flyte_core.domain import flows
from flyte_core.domain.errors import NotFound
from flyte_core.http.api import Request, create_app, empty, http_entrypoint, path_value

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
    flows_table.save(flow)
    return empty(201, headers={"Location": flows.flow_url(request.base, flow["name"])})


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
