"""The Lambda Invoke API for the template's functions, on a loopback port of its own: a function that
invokes a function (or itself) asynchronously, as slack_bolt's lazy listeners and the pack SDK's
deferred push commands do, reaches it here locally (`AWS_ENDPOINT_URL_LAMBDA`). Event invocations
answer 202 and run in the background; RequestResponse ones answer the function's result."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from .application import Application

log = logging.getLogger("flyte_local")
PREFIX = "/2015-03-31/functions/"


def function_of(name: str, app: Application) -> str | None:
    """The logical id a FunctionName (a name, a physical name or an ARN, with or without a
    qualifier) names, if it is one of the template's functions."""
    if name.startswith("arn:"):
        parts = name.split(":")
        name = parts[6] if len(parts) > 6 else ""
    else:
        name = name.split(":", 1)[0]
    if name in app.functions:
        return name
    return next((logical for logical, function in app.functions.items() if function.function_name == name), None)


class LambdaApi:
    def __init__(self, app: Application, invoke: Callable[[str, Any], Any]) -> None:
        self.app = app
        self.invoke = invoke
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def start(self, host: str = "127.0.0.1") -> str:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = api.handle(self.path, self.headers.get("X-Amz-Invocation-Type"), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self._server = Server((host, 0), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.2,), name="flyte-local-lambda-api", daemon=True).start()
        self.url = f"http://{host}:{self._server.server_address[1]}"
        return self.url

    def handle(self, path: str, invocation_type: str | None, body: bytes) -> tuple[int, dict[str, str], bytes]:
        name = unquote(path[len(PREFIX) :].split("/", 1)[0]) if path.startswith(PREFIX) else ""
        function = function_of(name, self.app) if path.endswith("/invocations") else None
        if function is None:
            error = {"Type": "User", "Message": f"Function not found: {name or path}"}
            return (
                404,
                {"x-amzn-ErrorType": "ResourceNotFoundException", "Content-Type": "application/json"},
                json.dumps(error).encode(),
            )
        event = json.loads(body) if body.strip() else {}
        kind = invocation_type or "RequestResponse"
        if kind == "DryRun":
            return 204, {}, b""
        if kind == "Event":
            threading.Thread(target=self._in_background, args=(function, event), name=f"async-{function}", daemon=True).start()
            return 202, {}, b""
        try:
            result = self.invoke(function, event)
        except Exception as error:  # the function failed: Lambda answers 200 with the error as the payload
            detail = {"errorMessage": str(error), "errorType": type(error).__name__}
            return 200, {"X-Amz-Function-Error": "Unhandled", "Content-Type": "application/json"}, json.dumps(detail).encode()
        return 200, {"Content-Type": "application/json"}, json.dumps(result).encode()

    def _in_background(self, function: str, event: Any) -> None:
        try:
            self.invoke(function, event)
        except Exception:
            log.exception("asynchronous invocation of %s failed", function)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
