"""Push mode (issue 20): the engine POSTs each action to the pack, signed, instead of the pack
long-polling for it. The same commands serve both; only the transport differs:

- :class:`PushEndpoint` turns one delivery (headers and body) into the answer: 401 when the
  signature or its timestamp does not hold, 200 with the result when the command finishes within
  ``answer_within`` seconds, else 202 and the result is posted to the action's link when done
  (at once for commands declared ``deferred=True``);
- :class:`PushServer` serves it over HTTP on ``FLYTE_PACK_LISTEN`` (``pack.start()`` in push mode);
- :func:`lambda_handler` serves it in AWS Lambda, behind a function URL or an API Gateway route
  (``handler = lambda_handler(pack)``); a deferred command runs in an asynchronous invocation of the
  same function (a frozen Lambda runs no background thread).

The signature: ``X-Flyte-Signature: v1=<hex HMAC-SHA256(secret, "v1:{X-Flyte-Timestamp}:{body}")>``,
and a timestamp within five minutes of the pack's clock (older is a replay).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .client import Action, FlyteAPIError

if TYPE_CHECKING:
    from .pack import Pack

log = logging.getLogger("flyte_pack")

TIMESTAMP_HEADER = "X-Flyte-Timestamp"
SIGNATURE_HEADER = "X-Flyte-Signature"
TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 1024 * 1024
DEFERRED_KEY = "flyteDeferredAction"  # the asynchronous self-invocation of a Lambda push pack
REGISTER_KEY = "flyteRegister"  # `aws lambda invoke --payload '{"flyteRegister": true}'`: register now


class SignatureError(ValueError):
    """A delivery whose signature or timestamp does not hold: not from the engine, or replayed."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "v1=" + hmac.new(secret.encode("utf-8"), f"v1:{timestamp}:".encode("ascii") + body, hashlib.sha256).hexdigest()


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None, tolerance: float = TOLERANCE_SECONDS
) -> None:
    """Raise :class:`SignatureError` unless the delivery is signed with ``secret`` within the window."""
    lowered = {key.lower(): value for key, value in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not timestamp or not signature:
        raise SignatureError(f"no {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    if not timestamp.isdigit():
        raise SignatureError(f"{TIMESTAMP_HEADER} is not unix seconds")
    skew = abs((time.time() if now is None else now) - int(timestamp))
    if skew > tolerance:
        raise SignatureError(f"{TIMESTAMP_HEADER} is {skew:.0f} s from this clock (at most {tolerance:.0f}): a replay?")
    expected = sign(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, part.strip()) for part in signature.split(",")):
        raise SignatureError("the signature does not match")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json"} if self.body else {}


def _error(status: int, message: str) -> Reply:
    return Reply(status, json.dumps({"error": message}).encode())


def action_of(document: Any) -> Action:
    """The delivered action, with absolute links; ValueError when the body is not a delivery."""
    if not isinstance(document, dict) or not isinstance(document.get("command"), str) or not document["command"]:
        raise ValueError("a delivery is {id, command, input, links}")
    links = [link for link in document.get("links") or [] if isinstance(link, dict) and isinstance(link.get("href"), str)]
    return Action(command=document["command"], input=document.get("input"), links=links)


class PushEndpoint:
    """What a push pack answers to one delivery. ``later`` runs a command whose answer is 202 (the
    local server: the pack's thread pool; Lambda: an asynchronous invocation)."""

    def __init__(
        self,
        pack: Pack,
        later: Callable[[Action, dict[str, Any]], None] | None = None,
        inline: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.pack = pack
        self.inline = inline  # Lambda: run the command in the request (nothing runs after the answer)
        self._clock = clock
        self._pool = ThreadPoolExecutor(pack.config.concurrency, thread_name_prefix=f"{pack.name}-push")
        self._later = later or self._in_background

    def handle(self, headers: Mapping[str, str], body: bytes) -> Reply:
        secret = self.pack.delivery_secret
        if not secret:
            return _error(503, "this pack has no delivery secret yet (it registers first)")
        try:
            verify(secret, headers, body, now=self._clock())
        except SignatureError as exc:
            log.warning("refused a delivery: %s", exc)
            return _error(401, str(exc))
        try:
            document = json.loads(body)
            action = action_of(document)
        except ValueError as exc:
            return _error(400, f"not a delivery: {exc}")
        command = self.pack.find_command(action.command)
        log.info("delivered action %r (%s, attempt %s)", action.command, document.get("id"), headers.get("X-Flyte-Attempt"))
        if command is not None and command.deferred:
            self._later(action, document)
            return Reply(202)
        if self.inline:
            return Reply(200, self.pack.result_body(action)[1])
        run = _Run(self.pack, action)
        self._pool.submit(run)
        answered = run.answer_within(self.pack.config.answer_within)
        if answered is not None:
            return Reply(200, answered)
        log.info(
            "command %r runs longer than %g s: answering 202, posting its result later",
            action.command,
            self.pack.config.answer_within,
        )
        return Reply(202)

    def _in_background(self, action: Action, document: dict[str, Any]) -> None:
        run = _Run(self.pack, action)
        run.abandoned = True  # nobody waits for it: it posts its result
        self._pool.submit(run)

    def run_deferred(self, document: dict[str, Any]) -> None:
        """Run a deferred action now and post its result (Lambda's asynchronous invocation)."""
        action = action_of(document)
        started = time.monotonic()
        name, body = self.pack.result_body(action)
        self.pack.post_result(action, body, name, time.monotonic() - started)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class _Run:
    """One command run for a delivery: its result goes back in the answer if the request still waits
    for it, else it is posted to the action's link (from the pool's thread, so that a graceful stop
    waits for it)."""

    def __init__(self, pack: Pack, action: Action) -> None:
        self.pack, self.action = pack, action
        self.abandoned = False
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._body: bytes | None = None

    def __call__(self) -> None:
        name, body = self.pack.result_body(self.action)
        with self._lock:
            post = self.abandoned
            self._body = body
            self._done.set()
        if post:
            self.pack.post_result(self.action, body, name, time.monotonic() - self.started)

    def answer_within(self, seconds: float) -> bytes | None:
        """The result, if it comes within `seconds`; else None, and the run posts it when it comes."""
        self._done.wait(seconds)
        with self._lock:
            if self._done.is_set():
                return self._body
            self.abandoned = True
            return None


class PushServer:
    """The local push server: every POST is a delivery (``FLYTE_PACK_LISTEN``, default 127.0.0.1:8090)."""

    def __init__(self, pack: Pack) -> None:
        self.endpoint = PushEndpoint(pack)
        endpoint = self.endpoint

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("push server: " + format, *args)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    self._send(_error(413, "a delivery is at most 1 MiB"))
                    return
                self._send(endpoint.handle(dict(self.headers.items()), self.rfile.read(length)))

            def do_GET(self) -> None:
                self._send(_error(405, "deliveries are POSTed"))

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

        self.server = ThreadingHTTPServer(pack.config.listen_address, Handler)
        self.server.daemon_threads = True
        self.address = self.server.server_address
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.2,), name=f"{pack.name}-push", daemon=True)

    @property
    def port(self) -> int:
        return int(self.address[1])

    def start(self) -> None:
        self._thread.start()
        log.info("push server listening on %s:%d", self.address[0], self.port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.endpoint.close()  # deferred and long commands finish and post their results first


def lambda_handler(pack: Pack, lambda_client: Any = None) -> Callable[[dict[str, Any], Any], Any]:
    """An AWS Lambda handler serving ``pack`` to the engine's deliveries (function URL or API Gateway,
    payload format 1.0 or 2.0). It registers the pack at each cold start (and on the event
    ``{"flyteRegister": true}``, for the first registration after a deploy); deliveries need a
    configured ``FLYTE_PACK_DELIVERY_SECRET``, the same in every execution environment."""
    state: dict[str, Any] = {"registered": False}

    def invoke_later(action: Action, document: dict[str, Any]) -> None:
        client = state.get("lambda") or lambda_client
        if client is None:
            import boto3  # in the Lambda runtime

            client = state["lambda"] = boto3.client("lambda")
        client.invoke(
            FunctionName=state["function"], InvocationType="Event", Payload=json.dumps({DEFERRED_KEY: document}).encode()
        )

    endpoint = PushEndpoint(pack, later=invoke_later, inline=True)

    def register() -> None:
        try:
            pack.register()
            state["registered"] = True
        except FlyteAPIError as exc:  # deliveries still work: the engine has the pack from before
            log.error("could not register pack %r: %s", pack.name, exc)

    def handle(event: dict[str, Any], context: Any) -> Any:
        state["function"] = getattr(context, "invoked_function_arn", None) or getattr(context, "function_name", "")
        if not pack.config.delivery_secret:
            raise RuntimeError("a Lambda push pack needs FLYTE_PACK_DELIVERY_SECRET (the same in every environment)")
        if event.get(REGISTER_KEY):
            register()
            return {"registered": state["registered"], "pack": pack.pack_id}
        if not state["registered"]:
            register()
        if DEFERRED_KEY in event:
            endpoint.run_deferred(event[DEFERRED_KEY])
            return None
        body = event.get("body") or ""
        raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
        reply = endpoint.handle(event.get("headers") or {}, raw)
        return {"statusCode": reply.status, "headers": reply.headers, "body": reply.body.decode("utf-8")}

    return handle
