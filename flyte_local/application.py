"""The SAM application as the local stack sees it: functions with their routes, stream sources and
schedules, tables and queues, all read from template.yaml."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cfn import Resolver, load_template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
LAYER = ROOT / "layers" / "flyte_core"  # the layer every function has (flyte_core), its folder as the template names it
STACK_NAME = "flyte-local"
REGION = "us-east-1"
ACCOUNT = "123456789012"
# A developer's machine is not the internet: the local stack is open, as the original without its
# auth variables, unless FLYTE_AUTH_POLICY_PATH and an issuer are given (stack.AUTH_VARIABLES) or
# these are overridden (--parameter BuiltInTokenIssuer=true).
LOCAL_PARAMETERS = {"BuiltInTokenIssuer": "false", "AllowAnonymousAccess": "true", "DeliveryAllowLoopback": "true"}
# Nor does it throttle like a deployment: API Gateway's account-wide defaults, unless overridden
# (--parameter ThrottlingRateLimit=5 --parameter ThrottlingBurstLimit=10 tries the deployed kind).
LOCAL_PARAMETERS.update({"ThrottlingRateLimit": "10000", "ThrottlingBurstLimit": "5000"})


@dataclass
class Authorizer:
    """An HTTP API Lambda REQUEST authorizer (x-amazon-apigateway-authorizer in the API's OpenAPI document)."""

    function: str  # the logical id of its function
    identity_source: list[str]  # $request.header.X, $request.querystring.X, $context.X: the cache key
    ttl_seconds: int = 0
    simple_responses: bool = True


@dataclass
class ServiceIntegration:
    """An HTTP API AWS service integration (x-amazon-apigateway-integration: aws_proxy with a subtype)."""

    subtype: str  # e.g. SQS-ReceiveMessage
    request_parameters: dict[str, str]  # parameter -> static value or $request... / $context... mapping


@dataclass
class Route:
    method: str
    path: str
    function: str  # "" for a route to a service integration
    integration: ServiceIntegration | None = None
    authorizer: Authorizer | None = None


@dataclass
class StreamSource:
    """A DynamoDB stream event source mapping, with the settings Lambda honours."""

    function: str
    table: str
    batch_size: int = 100
    starting_position: str = "LATEST"
    maximum_retry_attempts: int = -1
    maximum_record_age_seconds: int = -1
    bisect_on_error: bool = False
    report_item_failures: bool = False
    on_failure_queue: str | None = None
    batching_window_seconds: int = 0
    filters: list[dict[str, Any]] = field(default_factory=list)  # FilterCriteria patterns: a record must match one
    parallelization_factor: int = 1  # concurrent batches per shard, records of one partition key in order


@dataclass
class QueueSource:
    """An SQS event source mapping: the function gets batches of the queue's messages; those it does
    not report as failed (or all, when it succeeds without reporting) are deleted."""

    function: str
    queue: str  # the queue's logical id
    batch_size: int = 10
    report_item_failures: bool = False
    batching_window_seconds: int = 0


@dataclass
class Schedule:
    function: str
    name: str
    expression: str
    enabled: bool = True
    input: Any = None


@dataclass
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    layers: list[Path]
    timeout: int
    reserved_concurrency: int | None = None
    function_name: str | None = None  # FunctionName, when the template gives one


@dataclass(frozen=True)
class Throttling:
    """An HttpApi's DefaultRouteSettings: each route's token bucket (requests per second, bucket size)."""

    rate: float
    burst: int


@dataclass
class Application:
    functions: dict[str, Function] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    streams: list[StreamSource] = field(default_factory=list)
    queue_sources: list[QueueSource] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    queues: dict[str, dict[str, Any]] = field(default_factory=dict)
    table_names: dict[str, str] = field(default_factory=dict)
    queue_names: dict[str, str] = field(default_factory=dict)
    ssm_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> properties
    http_apis: list[str] = field(default_factory=list)  # logical ids of the HttpApi resources
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> properties
    throttling: Throttling | None = None  # the HttpApi's route throttling, when it sets one
    schedule_groups: list[str] = field(default_factory=list)  # EventBridge Scheduler groups (issue 22)


def physical_name(logical_id: str) -> str:
    return f"{STACK_NAME}-{logical_id}"


def queue_url(endpoint: str, name: str) -> str:
    return f"{endpoint.rstrip('/')}/{ACCOUNT}/{name}"


def deployed_api_url(logical_id: str) -> str:
    """What `https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/` resolves to here; the
    local stack puts its own address in its place in the functions' environment."""
    return f"https://{physical_name(logical_id)}.execute-api.{REGION}.amazonaws.com/"


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """SAM Globals semantics: maps merge (the resource wins), lists are the global list followed by
    the resource's (a function's own Layers come after the global ones), scalars are replaced."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + copy.deepcopy(value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load(endpoint: str, parameter_overrides: dict[str, str] | None = None, template: Path = TEMPLATE) -> Application:
    document = load_template(template)
    resources: dict[str, Any] = document.get("Resources", {})
    parameters: dict[str, str | None] = {
        name: str(spec.get("Default", "")) for name, spec in document.get("Parameters", {}).items()
    }
    parameters.update(LOCAL_PARAMETERS)
    parameters.update(parameter_overrides or {})
    parameters.update(
        {
            "AWS::StackName": STACK_NAME,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }
    )

    app = Application()
    refs: dict[str, Any] = {}
    attributes: dict[tuple[str, str], Any] = {}
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        if kind == "AWS::DynamoDB::Table":
            name = physical_name(logical_id)
            app.tables[logical_id] = resource.get("Properties", {})
            app.table_names[logical_id] = name
            refs[logical_id] = name
            arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
            attributes[(logical_id, "Arn")] = arn
            attributes[(logical_id, "StreamArn")] = f"{arn}/stream/local"
        elif kind == "AWS::SQS::Queue":
            name = physical_name(logical_id)
            app.queues[logical_id] = resource.get("Properties", {})
            app.queue_names[logical_id] = name
            refs[logical_id] = queue_url(endpoint, name)
            attributes[(logical_id, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
            attributes[(logical_id, "QueueName")] = name
            attributes[(logical_id, "QueueUrl")] = queue_url(endpoint, name)
        elif kind in ("AWS::SSM::Parameter", "AWS::SecretsManager::Secret"):
            refs[logical_id] = physical_name(logical_id)  # the parameter's Name, once resolved below
        elif kind == "AWS::Serverless::LayerVersion":
            refs[logical_id] = str(ROOT / resource["Properties"]["ContentUri"])
        elif kind == "AWS::Serverless::HttpApi":
            refs[logical_id] = physical_name(logical_id)
            app.http_apis.append(logical_id)
        elif kind == "AWS::Serverless::Function":  # an ARN the local Lambda API (lambda_api.function_of) knows
            refs[logical_id] = physical_name(logical_id)
            attributes[(logical_id, "Arn")] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"
        elif kind == "AWS::Scheduler::ScheduleGroup":  # created in moto; its schedules fired by the local stack
            refs[logical_id] = physical_name(logical_id)
            app.schedule_groups.append(physical_name(logical_id))
            attributes[(logical_id, "Arn")] = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{physical_name(logical_id)}"
        else:
            refs[logical_id] = physical_name(logical_id)
            attributes[(logical_id, "Arn")] = f"arn:aws:local:{REGION}:{ACCOUNT}:{physical_name(logical_id)}"
    resolver = Resolver(parameters, refs, attributes, document.get("Conditions", {}))
    app.tables = {logical_id: resolver.resolve(props) for logical_id, props in app.tables.items()}
    app.queues = {logical_id: resolver.resolve(props) for logical_id, props in app.queues.items()}
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        if kind not in ("AWS::SSM::Parameter", "AWS::SecretsManager::Secret"):
            continue
        if resource.get("Condition") and not resolver.condition(resource["Condition"]):
            continue
        props = resolver.resolve(resource.get("Properties", {}))
        if kind == "AWS::SSM::Parameter":
            refs[logical_id] = props.get("Name") or physical_name(logical_id)
            app.ssm_parameters[refs[logical_id]] = props
        else:
            app.secrets[physical_name(logical_id)] = props
    for resource in resources.values():
        if resource.get("Type") == "AWS::Serverless::HttpApi":
            route_settings = resolver.resolve(resource.get("Properties", {})).get("DefaultRouteSettings") or {}
            if route_settings.get("ThrottlingRateLimit") is not None:
                app.throttling = Throttling(
                    float(route_settings["ThrottlingRateLimit"]), int(route_settings.get("ThrottlingBurstLimit", 0))
                )
    app.routes.extend(_service_routes(resources, resolver))
    arn_to_table = {attributes[(lid, "StreamArn")]: lid for lid in app.tables}
    arn_to_queue = {attributes[(lid, "Arn")]: lid for lid in app.queues}

    globals_ = document.get("Globals", {}).get("Function", {})
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        if resource.get("Condition") and not resolver.condition(resource["Condition"]):
            continue  # an optional function the parameters leave out
        props = resolver.resolve(_merge(globals_, resource.get("Properties", {})))
        environment = {k: "" if v is None else str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
        if "AWS_ENDPOINT_URL" in environment:  # empty in the template (AWS); here, the local endpoint
            environment["AWS_ENDPOINT_URL"] = endpoint
        app.functions[logical_id] = Function(
            logical_id=logical_id,
            code_dir=ROOT / props["CodeUri"],
            handler=props["Handler"],
            environment=environment,
            layers=[Path(layer) for layer in props.get("Layers", [])],
            timeout=int(props.get("Timeout", 3)),
            reserved_concurrency=int(props["ReservedConcurrentExecutions"])
            if props.get("ReservedConcurrentExecutions")
            else None,
            function_name=props.get("FunctionName"),
        )
        for event_name, event in (props.get("Events") or {}).items():
            kind, event_props = event.get("Type"), event.get("Properties", {})
            if kind == "HttpApi":
                app.routes.append(
                    Route(event_props.get("Method", "ANY").upper(), event_props.get("Path", "$default"), logical_id)
                )
            elif kind == "DynamoDB":
                destination = (event_props.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
                app.streams.append(
                    StreamSource(
                        function=logical_id,
                        table=arn_to_table[event_props["Stream"]],
                        batch_size=int(event_props.get("BatchSize", 100)),
                        starting_position=event_props.get("StartingPosition", "LATEST"),
                        maximum_retry_attempts=int(event_props.get("MaximumRetryAttempts", -1)),
                        maximum_record_age_seconds=int(event_props.get("MaximumRecordAgeInSeconds", -1)),
                        bisect_on_error=bool(event_props.get("BisectBatchOnFunctionError", False)),
                        report_item_failures="ReportBatchItemFailures" in (event_props.get("FunctionResponseTypes") or []),
                        on_failure_queue=arn_to_queue.get(destination) if destination else None,
                        batching_window_seconds=int(event_props.get("MaximumBatchingWindowInSeconds", 0)),
                        filters=[json.loads(f["Pattern"]) for f in (event_props.get("FilterCriteria") or {}).get("Filters", [])],
                        parallelization_factor=int(event_props.get("ParallelizationFactor", 1)),
                    )
                )
            elif kind == "SQS":
                app.queue_sources.append(
                    QueueSource(
                        function=logical_id,
                        queue=arn_to_queue[event_props["Queue"]],
                        batch_size=int(event_props.get("BatchSize", 10)),
                        report_item_failures="ReportBatchItemFailures" in (event_props.get("FunctionResponseTypes") or []),
                        batching_window_seconds=int(event_props.get("MaximumBatchingWindowInSeconds", 0)),
                    )
                )
            elif kind in ("Schedule", "ScheduleV2"):
                enabled = event_props.get("Enabled", event_props.get("State", "ENABLED") == "ENABLED")
                app.schedules.append(
                    Schedule(
                        function=logical_id,
                        name=event_name,
                        expression=event_props.get("Schedule") or event_props.get("ScheduleExpression"),
                        enabled=str(enabled).lower() == "true",
                        input=event_props.get("Input"),
                    )
                )
    return app


def _service_routes(resources: dict[str, Any], resolver: Resolver) -> list[Route]:
    """The HTTP API's routes to AWS service integrations (issue 21: the ready long poll), read from the
    HttpApi's DefinitionBody (OpenAPI with API Gateway's extensions), with their Lambda authorizers:
    what API Gateway runs itself. The functions' routes come from their HttpApi events."""
    routes = []
    for resource in resources.values():
        if resource.get("Type") != "AWS::Serverless::HttpApi":
            continue
        body = resolver.resolve(resource.get("Properties", {}).get("DefinitionBody") or {})
        schemes = (body.get("components") or {}).get("securitySchemes") or {}
        for path, operations in (body.get("paths") or {}).items():
            for method, operation in operations.items():
                integration = operation.get("x-amazon-apigateway-integration") or {}
                if integration.get("type") != "aws_proxy" or not integration.get("integrationSubtype"):
                    raise ValueError(f"{method.upper()} {path}: the local stack serves only AWS service integrations this way")
                authorizer = None
                for requirement in operation.get("security") or []:
                    for name in requirement:
                        spec = schemes[name]["x-amazon-apigateway-authorizer"]
                        function = re.search(r":function:([^/:]+)", spec["authorizerUri"])
                        if spec.get("type") != "request" or function is None:
                            raise ValueError(f"{method.upper()} {path}: the local stack runs Lambda REQUEST authorizers only")
                        authorizer = Authorizer(
                            function=function.group(1),
                            identity_source=[
                                part.strip() for part in str(spec.get("identitySource", "")).split(",") if part.strip()
                            ],
                            ttl_seconds=int(spec.get("authorizerResultTtlInSeconds", 0)),
                            simple_responses=bool(spec.get("enableSimpleResponses", False)),
                        )
                routes.append(
                    Route(
                        method.upper(),
                        path,
                        "",
                        ServiceIntegration(integration["integrationSubtype"], dict(integration.get("requestParameters") or {})),
                        authorizer,
                    )
                )
    return routes
