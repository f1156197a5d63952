"""What API Gateway does itself for a route to an AWS service integration (issue 21: the ready long
poll): the route's Lambda REQUEST authorizer (payload 2.0, simple responses, its answers cached by
the identity sources for the TTL), the integration's request parameters mapped from the request and
the authorizer's context, and the AWS call made with them, its answer passed through.

API Gateway's own refusals are as it sends them: 401 `{"message":"Unauthorized"}` when an identity
source is missing (the authorizer is not called), 403 `{"message":"Forbidden"}` when the authorizer
says no, 500 `{"message":"Internal Server Error"}` when it fails. A failed AWS call passes its status
(SQS: 400 for a queue that no longer exists) and error through.

The SQS ReceiveMessage answer is the query protocol's, as JSON (`{"ReceiveMessageResponse":
{"ReceiveMessageResult": {"messages": [...]}}}`); API Gateway's documentation does not show the
body it passes through, so the SDK reads this, the XML form and the JSON protocol's `{"Messages"}`.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from .application import Authorizer, Route, ServiceIntegration

Answer = tuple[int, dict[str, str], bytes]
_JSON = {"content-type": "application/json"}


def _message(status: int, message: str) -> Answer:
    return status, dict(_JSON), json.dumps({"message": message}).encode("utf-8")


def mapping_value(expression: str, event: dict[str, Any], context: dict[str, Any]) -> str | None:
    """One parameter mapping value of an HTTP API (`$request.header.x`, `$request.querystring.x`,
    `$request.path.x`, `$context.x`, `$context.authorizer.x`), or a static value as it is."""
    if not expression.startswith("$"):
        return expression
    name = expression.strip("${}")
    if name.startswith("request.header."):
        wanted = name.removeprefix("request.header.").lower()
        return next((v for k, v in (event.get("headers") or {}).items() if k.lower() == wanted), None)
    if name.startswith("request.querystring."):
        return (event.get("queryStringParameters") or {}).get(name.removeprefix("request.querystring."))
    if name.startswith("request.path."):
        return (event.get("pathParameters") or {}).get(name.removeprefix("request.path."))
    if name.startswith("context.authorizer."):
        value = context.get(name.removeprefix("context.authorizer."))
        return None if value is None else str(value)
    if name == "context.path":
        return str(event.get("rawPath") or "")
    if name.startswith("context."):
        value = event.get("requestContext", {}).get(name.removeprefix("context."))
        return None if value is None else str(value)
    raise ValueError(f"the local stack does not map {expression!r}")


class ServiceRoutes:
    """Serves the routes API Gateway answers itself; counts what a deployment would pay for."""

    def __init__(
        self, invoke: Callable[[str, dict], Any], client: Callable[[str], Any], clock: Callable[[], float] = time.monotonic
    ):
        self._invoke, self._client, self._clock = invoke, client, clock
        self._cache: dict[tuple, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.counts: Counter = Counter()  # requests, authorizer invocations, AWS calls (per subtype)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def handle(self, route: Route, event: dict[str, Any]) -> Answer:
        assert route.integration is not None
        self.counts["requests"] += 1
        context: dict[str, Any] = {}
        if route.authorizer is not None:
            decided = self._authorize(route, route.authorizer, event)
            if isinstance(decided, tuple):
                return decided
            context = decided
        return self._call(route.integration, event, context)

    def _authorize(self, route: Route, authorizer: Authorizer, event: dict[str, Any]) -> dict[str, Any] | Answer:
        identity = [mapping_value(source, event, {}) for source in authorizer.identity_source]
        if any(not value for value in identity):
            return _message(401, "Unauthorized")
        key = (route.method, route.path, *identity)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            result = cached[1]
        else:
            self.counts["authorizer"] += 1
            try:
                result = self._invoke(authorizer.function, self._authorizer_event(event, authorizer, identity))
            except Exception:
                return _message(500, "Internal Server Error")
            if not isinstance(result, dict) or not isinstance(result.get("isAuthorized"), bool):
                return _message(500, "Internal Server Error")
            if authorizer.ttl_seconds > 0:
                with self._lock:
                    self._cache[key] = (now + authorizer.ttl_seconds, result)
        if not result["isAuthorized"]:
            return _message(403, "Forbidden")
        return dict(result.get("context") or {})

    @staticmethod
    def _authorizer_event(event: dict[str, Any], authorizer: Authorizer, identity: list[str | None]) -> dict[str, Any]:
        """The payload format 2.0 event of a REQUEST authorizer: the request's, as a route's function gets it."""
        return {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": f"arn:aws:execute-api:us-east-1:123456789012:local/$default/{event['routeKey'].replace(' ', '')}",
            "identitySource": identity,
            **{
                key: event[key]
                for key in (
                    "routeKey",
                    "rawPath",
                    "rawQueryString",
                    "cookies",
                    "headers",
                    "queryStringParameters",
                    "requestContext",
                    "pathParameters",
                )
                if key in event
            },
        }

    def _call(self, integration: ServiceIntegration, event: dict[str, Any], context: dict[str, Any]) -> Answer:
        parameters = {name: mapping_value(value, event, context) for name, value in integration.request_parameters.items()}
        if integration.subtype != "SQS-ReceiveMessage":
            return _message(500, f"the local stack does not run {integration.subtype} integrations")
        self.counts["sqs.ReceiveMessage"] += 1
        if not parameters.get("QueueUrl"):
            return _message(500, "Internal Server Error")
        request: dict[str, Any] = {"QueueUrl": parameters["QueueUrl"]}
        try:
            for name in ("WaitTimeSeconds", "VisibilityTimeout", "MaxNumberOfMessages"):
                if parameters.get(name) not in (None, ""):
                    request[name] = int(str(parameters[name]))
        except ValueError as error:
            return _sqs_error(400, "InvalidParameterValue", str(error))
        request["AttributeNames"] = ["All"]
        try:
            response = self._client("sqs").receive_message(**request)
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
            return _sqs_error(status, error.response["Error"].get("Code", ""), error.response["Error"].get("Message", ""))
        messages = [
            {
                "Attributes": message.get("Attributes"),
                "Body": message["Body"],
                "MD5OfBody": message.get("MD5OfBody"),
                "MD5OfMessageAttributes": message.get("MD5OfMessageAttributes"),
                "MessageAttributes": message.get("MessageAttributes"),
                "MessageId": message["MessageId"],
                "ReceiptHandle": message["ReceiptHandle"],
            }
            for message in response.get("Messages", [])
        ]
        body = {
            "ReceiveMessageResponse": {
                "ReceiveMessageResult": {"messages": messages or None},
                "ResponseMetadata": {"RequestId": str(uuid.uuid4())},
            }
        }
        return 200, dict(_JSON), json.dumps(body).encode("utf-8")


def _sqs_error(status: int, code: str, message: str) -> Answer:
    body = {"Error": {"Code": code, "Message": message, "Type": "Sender"}, "RequestId": str(uuid.uuid4())}
    return status, dict(_JSON), json.dumps(body).encode("utf-8")
