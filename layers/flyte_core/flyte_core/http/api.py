"""The HTTP face every API function shares: a Powertools resolver with Flyte's error and
negotiation rules and the auth check before every route, and the Lambda entry point that adds
correlation ids, tracing and metrics."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.logging import correlation_paths

from .. import observability
from ..adapters import aws
from ..domain import bounds
from ..domain.callers import ANONYMOUS, Caller
from ..domain.errors import DomainError, InvalidInput, NotFound
from ..observability import logger, metrics, tracer
from . import web
from .auth.environment import environment_guard
from .auth.guard import Refused
from .auth.tokens import Identity
from .problems import INTERNAL_ERROR, PROBLEM_CONTENT_TYPE, problem, problem_for

if TYPE_CHECKING:
    from ..settings import Settings


def problem_response(body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        status_code=body["status"], content_type=PROBLEM_CONTENT_TYPE, body=web.dump_json(body), headers=dict(headers or {})
    )


# Who the current request's token says the caller is, for the access log written after the resolver
# has answered (and cleared its own context). One request at a time per execution environment.
_request_caller: ContextVar[Caller] = ContextVar("request_caller", default=ANONYMOUS)


def _authorize(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """api-contract §9: the policy and token check, for every request of every API function, before its route
    runs; the caller's identity (when the rule asked for a token) goes to the handlers (item 7)."""
    guard = environment_guard()
    identity = None
    if guard is not None:
        event = app.current_event
        identity = guard.check(
            event.request_context.http.method, event.raw_path or event.path, web.header(event.headers or {}, "authorization")
        )
        app.append_context(identity=identity)
    _request_caller.set(identity.caller() if identity else ANONYMOUS)  # every routed request: no caller outlives its request
    return next_middleware(app)


def access_log(event: Mapping[str, Any], response: Mapping[str, Any], seconds: float, caller: Caller) -> dict[str, Any]:
    """One JSON line per request (issue 19 item 5): what API Gateway's own access log cannot say, the
    caller, beside what joins it to that log (the request id)."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    entry = {
        "requestId": context.get("requestId"),
        "route": event.get("routeKey") or context.get("routeKey"),
        "method": http.get("method"),
        "path": event.get("rawPath") or http.get("path"),
        "status": response.get("statusCode"),
        "latencyMs": round(seconds * 1000, 1),
        "sourceIp": http.get("sourceIp"),
        **{key: value for key, value in caller.record().items() if key in ("iss", "sub")},
    }
    logger.info("access", extra={"access": entry})
    return entry


def allowed_methods(path: str, routes: Mapping[str, Iterable[str]]) -> list[str]:
    """The methods the API has for a path, given its routes (`/v1/packs/{packId}` -> methods)."""
    allowed: set[str] = set()
    for template, methods in routes.items():
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path):
            allowed.update(method.upper() for method in methods)
    return sorted(allowed)


class FlyteResolver(APIGatewayHttpResolver):
    """Powertools' resolver, with the headers every answer carries (web.EVERY_RESPONSE_HEADERS) added
    to whatever produced it: a route, a problem of an exception handler, or the not-found handler."""

    def __init__(self, *, trust_forwarded_host: bool = False) -> None:
        super().__init__()
        self.trust_forwarded_host = trust_forwarded_host

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        response = super().resolve(event, context)
        headers = response.setdefault("headers", {})
        for name, value in web.EVERY_RESPONSE_HEADERS.items():
            for key in [key for key in headers if key.lower() == name.lower()]:
                del headers[key]
            headers[name] = value
        return response


def create_app(
    api_routes: Callable[[], Mapping[str, Iterable[str]]] | None = None, *, settings: Settings | None = None
) -> FlyteResolver:
    """A resolver whose errors are problem+json bodies and whose unexpected failures are logged 500s.

    `api_routes` (the whole API's routes) lets the function that receives unrouted requests tell a
    method the path does not have (405, with Allow) from a path that does not exist (404). `settings`
    say whether links may follow a proxy's X-Forwarded-Host (off without them)."""
    app = FlyteResolver(trust_forwarded_host=settings.trust_forwarded_host if settings else False)
    environment_guard()  # a broken auth configuration stops the cold start, as it stopped the original
    app.use(middlewares=[_authorize])

    @app.exception_handler(Refused)
    def handle_refused(refusal: Refused) -> Response:
        logger.info("request refused by the auth policy", extra={"status": refusal.status, "detail": refusal.detail})
        observability.record_auth_refusal(refusal.status)
        body = problem(refusal.status, HTTPStatus(refusal.status).phrase, refusal.detail)
        return problem_response(body, refusal.headers)

    @app.exception_handler(DomainError)
    def handle_domain_error(error: DomainError) -> Response:
        body = problem_for(error)
        if body["status"] == 503:  # a dependency that may answer later: say when to try again
            logger.warning("dependency unavailable", extra={"detail": error.detail})
            return problem_response(body, {"Retry-After": str(error.extra.get("retryAfterSeconds", 1))})
        logger.info("request refused", extra={"status": body["status"], "detail": error.detail})
        return problem_response(body)

    @app.not_found
    def handle_not_found(_: Exception) -> Response:
        method, path = app.current_event.request_context.http.method, app.current_event.path
        allowed = allowed_methods(path, api_routes()) if api_routes else []
        if method.upper() in allowed:
            # a route of the API no function serves: one API Gateway answers itself (issue 21, the ready
            # poll), reaching this function only where that cannot run (`sam local start-api`)
            return problem_response(
                problem_for(NotFound(f"{method} {path} is answered by API Gateway itself, which this server does not run."))
            )
        if allowed:
            return problem_response(
                problem(405, "Method Not Allowed", f"{method} is not allowed on {path}; use {', '.join(allowed)}."),
                {"Allow": ", ".join(allowed)},
            )
        return problem_response(problem_for(NotFound(f"No route for {method} {path}.")))

    @app.exception_handler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        meant = aws.as_domain_error(error)
        if isinstance(meant, DomainError):
            return handle_domain_error(meant)
        logger.exception("unexpected failure")
        return problem_response(problem(*INTERNAL_ERROR, "The server failed to handle the request; it has been logged."))

    return app


def http_entrypoint(app: FlyteResolver) -> Callable[[dict, Any], dict]:
    """The Lambda handler of an API function."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event: dict, context: Any) -> dict:
        started = time.perf_counter()
        _request_caller.set(ANONYMOUS)
        response = app.resolve(event, context)
        access_log(event, response, time.perf_counter() - started, _request_caller.get())
        return response

    return lambda_handler


class Request:
    """What handlers read from the current HTTP API event."""

    def __init__(self, app: FlyteResolver) -> None:
        self._app = app
        self.event = app.current_event
        self.headers: Mapping[str, str] = self.event.headers or {}
        self.base = web.base_url(
            self.headers, domain_name=self.event.request_context.domain_name, trust_forwarded_host=app.trust_forwarded_host
        )

    def header(self, name: str) -> str | None:
        return bounds.check_header_value(web.header(self.headers, name), name)

    @property
    def accept(self) -> str | None:
        return self.header("accept")

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")

    def raw_body(self) -> bytes:
        """The body's bytes (Powertools' decoded_body would force binary uploads through UTF-8)."""
        body = self.event.body
        if not body:
            return b""
        return base64.b64decode(body) if self.event.is_base64_encoded else body.encode("utf-8")

    def json_body(self, what: str = "request body") -> Any:
        """The body as JSON, or as YAML when sent as application/x-yaml (api-contract §1.3)."""
        return web.parse_body(self.raw_body(), self.content_type, what=what)

    @property
    def identity(self) -> Identity | None:
        """Who made the request, when the auth policy required a token for it (issue 11, item 7)."""
        return self._app.context.get("identity")

    @property
    def caller(self) -> Caller:
        """Who made the request as the engine checks and records it (made once, by the auth check);
        anonymous when the auth policy asked no token for the request (or auth is off)."""
        return _request_caller.get()

    @property
    def actor(self) -> dict[str, str]:
        """What is recorded with a change this request makes (issue 19, item 5)."""
        return self.caller.record()

    def query(self, name: str) -> str | None:
        return (self.event.query_string_parameters or {}).get(name)

    def start(self) -> int:
        """`?start=N`: where a page of a list begins (a list too large for one response has a `next` link)."""
        raw = self.query("start")
        if raw is None:
            return 0
        if not raw.isdigit() or len(raw) > 9:
            raise InvalidInput("'start' must be a whole number from 0.", field="start")
        return int(raw)

    def respond(self, value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        body, content_type = web.render(value, self.accept)
        return Response(status_code=status, content_type=content_type, body=body, headers=headers)


def path_value(raw: str, field: str = "path") -> str:
    """A path parameter as the resolver hands it over (the raw segment), percent-decoded once, no
    longer than any key can be (a longer one names nothing and would be refused by DynamoDB)."""
    value = unquote(raw)
    size = len(value.encode("utf-8"))
    if size > bounds.MAX_PATH_SEGMENT_BYTES:
        raise InvalidInput(
            f"The {field} in the URL has {size} bytes; no name or key is longer than {bounds.MAX_PATH_SEGMENT_BYTES}.",
            field=field,
            maxBytes=bounds.MAX_PATH_SEGMENT_BYTES,
        )
    return value


def raw(body: bytes, content_type: str, headers: dict[str, str] | None = None) -> Response:
    """Bytes exactly as stored, whatever the content type claims (base64 on the Lambda wire)."""
    response = Response(status_code=200, content_type=content_type, body=base64.b64encode(body).decode("ascii"), headers=headers)
    response.base64_encoded = True
    return response


def empty(status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, body="", headers=headers)
