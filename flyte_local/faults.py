"""Fault injection for the local stack (issue 30): an HTTP proxy between the functions and moto that,
on a chosen fraction of AWS calls, answers as a throttled or failing AWS does, adds latency, or
forwards the call and then loses its reply (moto applied it; the caller sees a 500 and retries).

Off unless asked: `FLYTE_LOCAL_FAULTS="throttle=0.05,error=0.05,latency=0.2:300ms,lost-reply=0.05,seed=7"
make run`. Every fault is logged (logger `flyte_local.faults`) and counted (`FaultProxy.counts`).
Decisions come from one seeded random sequence, so a run with the same seed and the same calls in
the same order injects the same faults. Only AWS API calls are touched (DynamoDB, Streams, SQS, SSM,
Secrets Manager: requests with an X-Amz-Target or a query-protocol Action); moto's own endpoints
pass through.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("flyte_local.faults")

KINDS = ("throttle", "error", "latency", "lost-reply")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "te", "upgrade"}


@dataclass(frozen=True)
class FaultSpec:
    """Fractions of AWS calls (0..1) that meet each fault; latency adds `latency_ms` to its share."""

    throttle: float = 0.0
    error: float = 0.0
    latency: float = 0.0
    latency_ms: float = 300.0
    lost_reply: float = 0.0
    seed: int = 0

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """`throttle=0.05,error=0.05,latency=0.2:300ms,lost-reply=0.05,seed=7` (any subset)."""
        values: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.partition("=")
            name = name.strip().lower()
            if not sep or name not in (*KINDS, "seed"):
                raise ValueError(f"unknown fault {part!r}: use {', '.join(KINDS)} (a fraction 0..1) or seed=N")
            if name == "seed":
                values["seed"] = int(value)
                continue
            if name == "latency" and ":" in value:
                value, delay = value.split(":", 1)
                match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*", delay)
                if not match:
                    raise ValueError(f"latency delay {delay!r}: write e.g. 300ms or 1s")
                values["latency_ms"] = float(match.group(1)) * (1000 if match.group(2) == "s" else 1)
            fraction = float(value)
            if not 0 <= fraction <= 1:
                raise ValueError(f"{name}={value}: a fraction of calls, from 0 to 1")
            values[name.replace("-", "_")] = fraction
        spec = cls(**values)
        if spec.throttle + spec.error + spec.lost_reply > 1:
            raise ValueError("throttle, error and lost-reply share the calls: their fractions add up to at most 1")
        return spec

    @property
    def active(self) -> bool:
        return any((self.throttle, self.error, self.latency, self.lost_reply))


def operation_of(headers: Any, body: bytes) -> tuple[str, str] | None:
    """(service protocol, operation) of an AWS API call, None for anything else (moto's own API)."""
    target = headers.get("X-Amz-Target")
    if target:
        prefix, _, operation = target.partition(".")
        return ("sqs" if prefix == "AmazonSQS" else "json", operation)
    if body and b"Action=" in body:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return ("query", action[0])
    return None


def _dynamodb(target: str | None) -> bool:
    return bool(target and target.startswith("DynamoDB"))


def fault_response(kind: str, protocol: str, target: str | None) -> tuple[int, dict[str, str], bytes]:
    """What AWS answers for a throttled (400) or failed (500) call, in the caller's protocol."""
    request_id = str(uuid.uuid4())
    if kind == "throttle":
        status = 400
        code = "ProvisionedThroughputExceededException" if _dynamodb(target) else "ThrottlingException"
        message = "Rate of requests exceeds the allowed throughput (injected by flyte_local.faults)."
    else:
        status, code = 500, "InternalServerError" if _dynamodb(target) else "InternalFailure"
        message = "The request processing has failed (injected by flyte_local.faults)."
    if protocol == "query":
        body = (
            f'<?xml version="1.0"?><ErrorResponse><Error><Type>{"Sender" if status == 400 else "Receiver"}</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body
    full_code = f"com.amazonaws.dynamodb.v20120810#{code}" if _dynamodb(target) else code
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": request_id}
    if protocol == "sqs":  # SQS's JSON protocol also says the query-compatible code
        headers["x-amzn-query-error"] = f"{code};{'Sender' if status == 400 else 'Receiver'}"
    return status, headers, json.dumps({"__type": full_code, "message": message}).encode()


class FaultProxy:
    """The proxy, on a free local port; `url` is what the functions get as AWS_ENDPOINT_URL."""

    def __init__(self, upstream: str, spec: FaultSpec, host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstream = urlsplit(upstream)
        self.spec = spec
        self._random = random.Random(spec.seed)
        self._lock = threading.Lock()
        self.counts: Counter[tuple[str, str]] = Counter()  # (fault, operation) -> times injected
        self.calls = 0
        self._local = threading.local()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy._handle(self)

            do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        log.warning("fault injection on: %s (AWS calls go through %s)", self.spec, self.url)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def set_spec(self, spec: FaultSpec) -> None:
        """Inject other faults from now on (its own seed starts the sequence again)."""
        with self._lock:
            self.spec, self._random = spec, random.Random(spec.seed)
        log.warning("fault injection now: %s", spec)

    def decide(self) -> tuple[str | None, bool]:
        """The fault of the next call (throttle, error, lost-reply or None) and whether it is slowed."""
        with self._lock:
            self.calls += 1
            spec = self.spec
            draw, slow = self._random.random(), self._random.random() < spec.latency
        for kind, share in (("throttle", spec.throttle), ("error", spec.error), ("lost-reply", spec.lost_reply)):
            if draw < share:
                return kind, slow
            draw -= share
        return None, slow

    def _count(self, kind: str, operation: str) -> None:
        with self._lock:
            self.counts[(kind, operation)] += 1
        log.info("fault %s on %s", kind, operation)

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = getattr(self._local, "connection", None)
        for attempt in (1, 2):  # a kept-alive connection moto closed meanwhile: once more on a new one
            if connection is None:
                connection = http.client.HTTPConnection(self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=60)
                self._local.connection = connection
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, OSError):
                connection.close()
                connection = self._local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        call = operation_of(handler.headers, body)
        fault, slow = self.decide() if call else (None, False)
        if call and slow:
            self._count("latency", call[1])
            time.sleep(self.spec.latency_ms / 1000)
        if call and fault in ("throttle", "error"):
            self._count(fault, call[1])
            return self._reply(handler, *fault_response(fault, call[0], handler.headers.get("X-Amz-Target")))
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        status, response_headers, data = self._forward(handler.command, handler.path, headers, body)
        if call and fault == "lost-reply":  # applied upstream; the caller never learns it
            self._count(fault, call[1])
            return self._reply(handler, *fault_response("error", call[0], handler.headers.get("X-Amz-Target")))
        kept = {k: v for k, v in response_headers if k.lower() not in HOP_BY_HOP}
        self._reply(handler, status, kept, data)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)
