"""An HTTP API (API Gateway v2) in front of the local functions: the routes of template.yaml,
payload format 2.0 events, and the gateway's own answers for unknown routes and failed functions.

The gateway's own answers are problem+json (API Gateway's are `{"message": ...}`; with the template's
`$default` route every request reaches a function anyway). Like API Gateway it takes any method, limits
the request body (Lambda's 6 MB invocation payload is the tighter bound) and writes response headers
as bytes, refusing values a function sends with line breaks instead of letting them split the response.
Like API Gateway it tells the function the scheme it received the request on (`X-Forwarded-Proto`,
replacing a client's, unless the stack trusts a proxy in front of it), and it throttles the stage
(the HttpApi's DefaultRouteSettings) before any function runs.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .application import ACCOUNT, Route, Throttling
from .runtime import Throttled

log = logging.getLogger("flyte_local")
MAX_BODY_BYTES = 6 * 1024 * 1024  # a synchronous Lambda invocation carries at most 6 MB
DEFAULT_ROUTE = "$default"  # SAM writes the path as /$default
_UNSAFE_HEADER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_TEXT_TYPES = re.compile(r"^(text/|application/(json|x-yaml|yaml|xml|x-www-form-urlencoded|problem\+json|javascript))", re.I)


def is_default(route: Route) -> bool:
    return route.path.lstrip("/") == DEFAULT_ROUTE


class CompiledRoute:
    def __init__(self, route: Route) -> None:
        self.route = route
        self.key = f"{route.method} {route.path}"
        pattern, self.names = "", []
        segments = [s for s in route.path.split("/") if s]
        self.literals = 0
        self.greedy = False
        for segment in segments:
            match = re.fullmatch(r"\{([^}+]+)(\+?)\}", segment)
            if match:
                self.names.append(match.group(1))
                self.greedy = self.greedy or bool(match.group(2))
                # a greedy variable also takes an empty rest: `/swagger/{file+}` answers `/swagger/`
                pattern += "/(.*)" if match.group(2) else "/([^/]+)"
            else:
                self.literals += 1
                pattern += "/" + re.escape(segment)
        self.regex = re.compile(pattern or "/")

    def specificity(self) -> tuple:
        # API Gateway prefers the most specific route: more literal segments, no greedy variable,
        # then a concrete method over ANY.
        return (-self.literals, self.greedy, self.route.method == "ANY")


class TokenBucket:
    """API Gateway's throttling of one route: `burst` requests at once, refilled at `rate` per second."""

    def __init__(self, throttling: Throttling, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = throttling.rate, throttling.burst, clock
        self._tokens, self._last = float(throttling.burst), clock()
        self._lock = threading.Lock()

    def admit(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


class Gateway:
    def __init__(
        self,
        routes: list[Route],
        invoke: Callable[[str, dict], dict],
        *,
        trust_forwarded: bool = False,
        throttling: Throttling | None = None,
        service: Callable[[Route, dict], tuple[int, dict[str, str], bytes]] | None = None,
    ) -> None:
        self.service = service  # what API Gateway answers itself: routes to AWS service integrations (issue 21)
        self.trust_forwarded = trust_forwarded  # keep a proxy's X-Forwarded-Proto (FLYTE_TRUST_FORWARDED_HOST)
        self.throttling = throttling
        self._buckets: dict[str, TokenBucket] = {}
        self._buckets_lock = threading.Lock()
        self.routes = sorted((CompiledRoute(r) for r in routes if not is_default(r)), key=CompiledRoute.specificity)
        self.default = next((CompiledRoute(r) for r in routes if is_default(r)), None)
        self.invoke = invoke
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = False

    def match(self, method: str, path: str) -> tuple[CompiledRoute, dict[str, str]] | None:
        for compiled in self.routes:
            if compiled.route.method not in (method, "ANY"):
                continue
            found = compiled.regex.fullmatch(path)
            if found:
                return compiled, {name: unquote(value) for name, value in zip(compiled.names, found.groups(), strict=True)}
        if self.default is not None:
            return self.default, {}
        return None

    def admit(self, route_key: str) -> bool:
        """Whether the route's bucket has a token for this request (always, without throttling)."""
        if self.throttling is None:
            return True
        with self._buckets_lock:
            bucket = self._buckets.setdefault(route_key, TokenBucket(self.throttling))
        return bucket.admit()

    def allowed_methods(self, path: str) -> list[str]:
        """The methods some route has for this path (for a 405's Allow header)."""
        return sorted({c.route.method for c in self.routes if c.regex.fullmatch(path)})

    def build_event(
        self,
        compiled: CompiledRoute,
        params: dict[str, str],
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        source_ip: str,
    ) -> dict:
        parts = urlsplit(target)
        query: dict[str, str] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        content_type = headers.get("content-type", "")
        text_body = None
        if body and (not content_type or _TEXT_TYPES.match(content_type)):
            try:
                text_body = body.decode("utf-8")
            except UnicodeDecodeError:
                text_body = None
        now = datetime.now(UTC)
        cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
        route_key = DEFAULT_ROUTE if compiled is self.default else compiled.key
        event = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": parts.path,
            "rawQueryString": parts.query,
            "headers": headers,
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": "local",
                "domainName": headers.get("host", "localhost"),
                "domainPrefix": headers.get("host", "localhost").split(".")[0],
                "http": {
                    "method": method,
                    "path": parts.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": source_ip,
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": uuid.uuid4().hex,
                "routeKey": route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": bool(body) and text_body is None,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if params:
            event["pathParameters"] = params
        if body:
            event["body"] = text_body if text_body is not None else base64.b64encode(body).decode("ascii")
        return event

    def start(self, host: str, port: int) -> int:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "flyte-local"
            # Headers and body go out in separate writes; without TCP_NODELAY the body waits for the
            # client's delayed ACK (~40 ms) on every kept-alive connection.
            disable_nagle_algorithm = True

            def log_message(self, fmt: str, *args) -> None:  # access log through logging, not stderr
                log.debug("%s %s", self.address_string(), fmt % args)

            def _handle(self) -> None:
                started = time.perf_counter()
                try:
                    length = int(self.headers.get("content-length") or 0)
                except ValueError:
                    length = -1
                if length < 0:
                    self.close_connection = True
                    self._problem(400, "The content-length header is not a number of bytes.")
                    return
                if length > MAX_BODY_BYTES:
                    self.close_connection = True  # the body is not read: nothing else can follow on this connection
                    self._problem(413, f"The request body has {length} bytes; at most {MAX_BODY_BYTES} are accepted.")
                    return
                body = self.rfile.read(length) if length else b""
                headers: dict[str, str] = {}
                for key, value in self.headers.items():
                    key = key.lower()
                    headers[key] = f"{headers[key]},{value}" if key in headers else value
                headers.setdefault("x-forwarded-for", self.client_address[0])
                if not gateway.trust_forwarded or "x-forwarded-proto" not in headers:
                    headers["x-forwarded-proto"] = "http"  # API Gateway sets its own (https) in place of a client's
                headers.setdefault("x-forwarded-port", str(self.server.server_address[1]))  # type: ignore[index]  # TCP: (host, port)
                path = urlsplit(self.path).path
                found = gateway.match(self.command, path)
                if found is None:
                    allowed = gateway.allowed_methods(path)
                    if allowed:
                        self._problem(
                            405,
                            f"{self.command} is not allowed on {path}; use {', '.join(allowed)}.",
                            {"allow": ", ".join(allowed)},
                        )
                    else:
                        self._problem(404, f"No route for {self.command} {path}.")
                    return
                compiled, params = found
                if not gateway.admit(DEFAULT_ROUTE if compiled is gateway.default else compiled.key):
                    assert gateway.throttling is not None  # admit refuses only under throttling
                    limits = f"{gateway.throttling.rate:g} requests/s, bursts of {gateway.throttling.burst}"
                    self._problem(429, f"Too many requests on this route ({limits}); try again.", {"retry-after": "1"})
                    return
                event = gateway.build_event(compiled, params, self.command, self.path, headers, body, self.client_address[0])
                try:
                    if compiled.route.integration is not None:
                        if gateway.service is None:
                            raise RuntimeError(f"no server for the service integration of {compiled.key}")
                        status, out_headers, out_body = gateway.service(compiled.route, event)
                    else:
                        result = gateway.invoke(compiled.route.function, event)
                        status, out_headers, out_body = _http_response(result)
                except Throttled as throttled:
                    log.warning("%s", throttled)
                    status, out_headers, out_body = _problem(429, "The function is busy; try again.", {"retry-after": "1"})
                except Exception:
                    if gateway.stopping:  # the stack is stopping under an in-flight request (a long poll)
                        return
                    log.exception("function %s failed on %s", compiled.route.function, compiled.key)
                    status, out_headers, out_body = _problem(500, "The function failed; its log says why.")
                unsafe = sorted(k for k, v in out_headers.items() if _UNSAFE_HEADER.search(k) or _UNSAFE_HEADER.search(v))
                if unsafe:
                    log.error("function %s answered headers with line breaks or controls: %s", compiled.route.function, unsafe)
                    status, out_headers, out_body = _problem(502, f"The function answered an invalid header ({unsafe[0]}).")
                self._send(status, out_headers, out_body)
                log.info("%s %s -> %s (%.1f ms)", self.command, self.path, status, (time.perf_counter() - started) * 1000)

            def _problem(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
                self._send(*_problem(status, detail, headers))

            def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
                """http.server's own refusals (bad request line, too long a URI, too many headers)."""
                self.close_connection = True
                self.request_version = self.protocol_version  # a status line even when the request line was unreadable
                try:
                    self._problem(code, message or explain or HTTPStatus(code).phrase)
                except ValueError:
                    self._problem(400, message or "Bad request")

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() != "content-length":
                        # API Gateway sends header values as UTF-8 bytes; http.server would raise on
                        # anything beyond Latin-1 and drop the connection without an answer.
                        self.send_header(key, value.encode("utf-8").decode("latin-1"))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def __getattr__(self, name: str):
                if name.startswith("do_"):  # every method reaches routing, as in API Gateway (TRACE, PROPFIND, ...)
                    return self._handle
                raise AttributeError(name)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

            def handle_error(self, request: Any, client_address: Any) -> None:
                """A client that went away mid-request (a pack killed during its long poll) is one
                line, as API Gateway would log it, not a traceback."""
                error = sys.exc_info()[1]
                if isinstance(error, ConnectionError):
                    log.info("client %s closed the connection before its answer (%s)", client_address[0], type(error).__name__)
                    return
                super().handle_error(request, client_address)

        self._server = Server((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="flyte-local-http", daemon=True)
        self._thread.start()
        return self._server.server_address[1]

    def stop(self) -> None:
        self.stopping = True
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    own = {"content-type": "application/problem+json", "x-content-type-options": "nosniff"}
    return status, {**own, **(headers or {})}, json.dumps(body).encode("utf-8")


def _http_response(result: object) -> tuple[int, dict[str, str], bytes]:
    """How API Gateway turns a payload format 2.0 response into HTTP."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return 200, {"content-type": "application/json"}, json.dumps(result).encode("utf-8")
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key] = ",".join(str(v) for v in values)
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    cookies = result.get("cookies") or []
    if cookies:
        headers["set-cookie"] = cookies[0]
    return int(result["statusCode"]), headers, raw
