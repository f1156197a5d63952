"""The audit of flow executions (api-contract §8) and of events: why each step did or did not fire."""

from flyte_core.adapters import Adapters
from flyte_core.domain.audit import (
    event_list_representation,
    event_representation,
    execution_representation,
    list_representation,
    parse_event_query,
    parse_query,
)
from flyte_core.http.api import Request, create_app, http_entrypoint, path_value
from flyte_core.services import audit
from flyte_core.settings import Settings

settings = Settings.from_environ()  # once per environment (cold start)
app = create_app(settings=settings)
adapters = Adapters(settings)


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


@app.get(
    "/v1/audit/events",
    summary="Events newest first, with the number of steps each fired (filters: packName, event; paging: start, limit)",
    tags=["eventAudit"],
    operation_id="findEvents",
)
def find_events():
    request = Request(app)
    query = parse_event_query(request.event.query_string_parameters or {})
    return request.respond(event_list_representation(audit.find_events(adapters, query), request.base))


@app.get(
    "/v1/audit/events/<eventId>",
    summary="One event's trace: every step of every flow it concerned, and why each did or did not fire",
    tags=["eventAudit"],
    operation_id="getEventTrace",
)
def get_event_trace(eventId: str):
    request = Request(app)
    stored = audit.event_trace(adapters, path_value(eventId, "eventId"))
    return request.respond(event_representation(stored, request.base))


lambda_handler = http_entrypoint(app)
