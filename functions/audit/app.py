"""The audit of flow executions (api-contract §8)."""

from flyte_core.adapters import Adapters
from flyte_core.domain.audit import execution_representation, list_representation, parse_query
from flyte_core.http.api import Request, create_app, http_entrypoint, path_value
from flyte_core.services import audit
from flyte_core.settings import Settings

app = create_app()
adapters = Adapters(Settings.from_environ())  # once per environment (cold start)


@app.get(
    "/v1/audit/flows",
    summary="Find flow executions (filters: flowName, stepId, actionName, actionPackName, "
    "actionPackLabels=k:v,...; paging: start, limit)",
    tags=["flowAudit"],
    operation_id="findFlows",
)
def find_flows():
    request = Request(app)
    params = request.event.query_string_parameters or {}
    query = parse_query(params)
    return request.respond(list_representation(audit.find(adapters, query), request.base, params, query.start))


@app.get(
    "/v1/audit/flows/<correlationId>",
    summary="One flow execution with all its actions",
    tags=["flowAudit"],
    operation_id="getFlowExecution",
)
def get_flow_execution(correlationId: str):
    request = Request(app)
    return request.respond(
        execution_representation(audit.execution(adapters, path_value(correlationId, "correlationId")), request.base)
    )


lambda_handler = http_entrypoint(app)
