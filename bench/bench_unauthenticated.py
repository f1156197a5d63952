"""What a flood of unauthenticated requests costs (issue 19, item 6): the time a 401 takes in the
function, and what a million of them cost at us-east-1 prices.

    python bench/bench_unauthenticated.py [--requests N]

A deployed stack's defaults: the starting policy (examples/auth-policy.yaml), the built-in issuer
(its secret handed over in memory instead of read from Secrets Manager), the functions' handler
modules imported as Lambda imports them and called through their Lambda entry points (logger with
correlation ids, metrics; the X-Ray tracer off, as there is no daemon here). Timed, warm, in
microseconds (median and p99 over N requests):

* GET /v1/flows without a token (401, the flows function);
* GET /v1/flows with a token signed by another key (401 invalid_token);
* GET /wp-login.php, a path the API does not have (401: no rule; the info function's $default route);
* GET /v1, open, for comparison (200).

Then the cost of a million 401s: API Gateway's HTTP API requests, Lambda's requests and the billed
duration (whole milliseconds at the template's MemorySize), from the median here and from the
median scaled to the CPU share Lambda gives that memory (1,769 MB is one vCPU); and what the
template's default throttling lets through at most. Not a test: it prints figures and never fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import math
import os
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "flyte_core"), str(ROOT)]
SECRET = '{"issuer": "urn:flyte:bench", "key": "a-benchmark-key-of-sufficient-length-0123456789"}'
os.environ.update(
    {
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_SERVICE_NAME": "flyte",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "FLYTE_AUTH_POLICY_PATH": str(ROOT / "examples" / "auth-policy.yaml"),
        "FLYTE_TOKEN_SECRET_ARN": "bench-secret",
        "FLYTE_PACK_QUEUE_PREFIX": "bench_flytepack_",
        **{
            variable: f"bench-{variable}"
            for variable in (
                "FLYTE_PACKS_TABLE",
                "FLYTE_FLOWS_TABLE",
                "FLYTE_FLOW_VERSIONS_TABLE",
                "FLYTE_FLOW_TRIGGERS_TABLE",
                "FLYTE_DATASTORE_TABLE",
                "FLYTE_EVENTS_TABLE",
                "FLYTE_ACTIONS_TABLE",
            )
        },
    }
)

from flyte_core.http.auth import environment as auth_environment  # noqa: E402
from flyte_core.http.auth.issuer import BuiltInIssuer  # noqa: E402
from flyte_local.cfn import load_template  # noqa: E402

# us-east-1 list prices (checked 2026-11): HTTP API per request (first 300 million a month), Lambda per
# request and per GB-second of x86 duration (billed in whole milliseconds), CloudWatch Logs ingestion.
HTTP_API_PER_MILLION = 1.00
LAMBDA_PER_MILLION = 0.20
LAMBDA_PER_GB_SECOND = 0.0000166667
LOGS_PER_GB = 0.50
ONE_VCPU_MB = 1769


class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench-request"
    log_group_name = log_stream_name = "bench"


def load_function(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_function_{name}", ROOT / "functions" / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def event(path: str, token: str | None) -> dict[str, Any]:
    headers = {"host": "abc.execute-api.us-east-1.amazonaws.com", "x-forwarded-proto": "https", "user-agent": "flood"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return {
        "version": "2.0",
        "routeKey": "$default" if path == "/wp-login.php" else f"GET {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc",
            "domainName": "abc.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "flood"},
            "requestId": "r",
            "routeKey": f"GET {path}",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }


def timed(handler: Any, request: dict[str, Any], status: int, count: int) -> tuple[float, float]:
    assert handler(request, Context())["statusCode"] == status
    for _ in range(min(200, count)):
        handler(request, Context())
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        handler(request, Context())
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def logged_bytes(handler: Any, request: dict[str, Any], level: str) -> int:
    """What one request writes to the function's log (CloudWatch Logs ingests it) at a log level."""
    from flyte_core.observability import logger

    stream, handlers = io.StringIO(), logger.handlers
    previous = [(h, h.setStream(stream)) for h in handlers if hasattr(h, "setStream")]  # type: ignore[attr-defined]
    logger.setLevel(level)
    try:
        handler(request, Context())
    finally:
        logger.setLevel("WARNING")
        for h, old in previous:
            h.setStream(old)  # type: ignore[attr-defined]
    return len(stream.getvalue().encode("utf-8"))


def per_million(microseconds: float, memory_mb: int) -> tuple[float, float, float]:
    """(API Gateway, Lambda requests, Lambda duration) in dollars per million requests."""
    billed_seconds = math.ceil(microseconds / 1000) / 1000
    return HTTP_API_PER_MILLION, LAMBDA_PER_MILLION, 1e6 * billed_seconds * memory_mb / 1024 * LAMBDA_PER_GB_SECOND


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    count = parser.parse_args().requests

    auth_environment._read_secret = lambda secret_id: SECRET  # type: ignore[assignment]  # in memory, not Secrets Manager
    flows, info = load_function("flows"), load_function("info")
    issuer = BuiltInIssuer.from_secret(SECRET.replace("0123456789", "9876543210"))  # another key, same issuer name
    forged = issuer.mint("mallory", {"flyte_role": "admin"}, 3600)

    template = load_template(ROOT / "template.yaml")
    memory = int(template["Globals"]["Function"]["MemorySize"])
    print(f"whole request in the function, warm, {count} requests each (us: median / p99)")
    results = {}
    for label, handler, request, status in [
        ("no token, GET /v1/flows (401)", flows.lambda_handler, event("/v1/flows", None), 401),
        ("another key's token (401)", flows.lambda_handler, event("/v1/flows", forged), 401),
        ("unknown path, no rule (401)", info.lambda_handler, event("/wp-login.php", None), 401),
        ("open GET /v1 (200)", info.lambda_handler, event("/v1", None), 200),
    ]:
        results[label] = timed(handler, request, status, count)
        print(f"  {label:34s} {results[label][0]:8.1f} / {results[label][1]:8.1f}")

    log_level = template["Parameters"]["LogLevel"]["Default"]
    logged = logged_bytes(flows.lambda_handler, event("/v1/flows", None), log_level)
    logs_per_million = logged * 1e6 / 1024**3 * LOGS_PER_GB
    print(
        f"  logged per 401 at LogLevel {log_level}: {logged} bytes ({logs_per_million:.2f} dollars a million in CloudWatch Logs)"
    )

    slowest_401 = max(median for label, (median, _) in results.items() if "401" in label)
    scaled = slowest_401 * ONE_VCPU_MB / memory
    print(f"\na million 401s at {memory} MB (us-east-1 list prices, dollars)")
    for label, microseconds in [
        ("as measured here", slowest_401),
        (f"x{ONE_VCPU_MB / memory:.2f} for Lambda's CPU share", scaled),
    ]:
        api, requests, duration = per_million(microseconds, memory)
        print(
            f"  {label:34s} API Gateway {api:.2f} + Lambda requests {requests:.2f} + duration {duration:.4f}"
            f" ({math.ceil(microseconds / 1000)} ms billed) + logs {logs_per_million:.2f}"
            f" = {api + requests + duration + logs_per_million:.2f}"
        )

    parameters = template["Parameters"]
    rate, burst = parameters["ThrottlingRateLimit"]["Default"], parameters["ThrottlingBurstLimit"]["Default"]
    routes = sum(
        event["Type"] == "HttpApi"
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in resource["Properties"].get("Events", {}).values()
    )
    api, requests, duration = per_million(scaled, memory)
    duration += logs_per_million
    day = 86_400 * rate
    print(f"\nthe default throttling ({rate}/s per route, bursts of {burst}; {routes} routes) lets through at most")
    print(f"  one route flooded:  {day / 1e6:.2f} million requests a day, {day / 1e6 * (api + requests + duration):.2f} dollars")
    print(
        f"  every route flooded: {day * routes / 1e6:.1f} million a day, "
        f"{day * routes / 1e6 * (api + requests + duration):.2f} dollars"
    )


if __name__ == "__main__":
    main()
