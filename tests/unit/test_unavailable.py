"""AWS failures that outlive the SDK's retries answer 503 with Retry-After and name the service;
everything else stays what it was (a bug is a 500) (issue 30 item 3)."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError
from pynamodb.exceptions import CancellationReason, PutError, TransactWriteError, UpdateError, VerboseClientError

from flyte_core.adapters.aws import as_domain_error
from flyte_core.domain.errors import Unavailable


def client_error(code: str, operation: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


@pytest.mark.parametrize(
    ("error", "service"),
    [
        (client_error("AWS.SimpleQueueService.ThrottlingException", "SendMessage", 500), "SQS"),
        (client_error("ThrottlingException", "ReceiveMessage"), "SQS"),
        (client_error("ThrottlingException", "GetSecretValue"), "Secrets Manager"),
        (client_error("ProvisionedThroughputExceededException", "Query"), "DynamoDB"),
        (client_error("SomethingNew", "DeleteMessage", 503), "SQS"),
        (PutError("put", client_error("ProvisionedThroughputExceededException", "PutItem")), "DynamoDB"),
        (UpdateError("update", client_error("InternalServerError", "UpdateItem", 500)), "DynamoDB"),
        (
            TransactWriteError(
                "t",
                VerboseClientError(
                    {"Error": {"Code": "TransactionCanceledException", "Message": "m"}},
                    "TransactWriteItems",
                    {},
                    cancellation_reasons=[CancellationReason(code="ThrottlingError"), None],
                ),
            ),
            "DynamoDB",
        ),
        (PutError("put", EndpointConnectionError(endpoint_url="http://127.0.0.1:1")), "DynamoDB"),
        (EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com/"), "SQS"),
        (ReadTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com"), "DynamoDB"),
        (ConnectionClosedError(endpoint_url="http://127.0.0.1:5000"), "AWS"),
    ],
)
def test_a_failure_that_may_pass_is_unavailable_naming_the_service(error, service):
    meant = as_domain_error(error)
    assert isinstance(meant, Unavailable)
    assert meant.extra["dependency"] == service and meant.extra["retryAfterSeconds"] >= 1
    assert service in meant.detail


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        PutError("put", client_error("ConditionalCheckFailedException", "PutItem")),
        client_error("AccessDeniedException", "SendMessage", 403),
        client_error("ValidationException", "Query"),
    ],
)
def test_a_failure_retrying_cannot_cure_is_not_unavailable(error):
    assert not isinstance(as_domain_error(error), Unavailable)


def test_the_api_answers_a_throttled_dependency_503_with_retry_after_and_a_bug_500(sample_event):
    from flyte_core.http.api import create_app, http_entrypoint
    from flyte_local.runtime import LambdaContext

    app = create_app()

    @app.get("/v1/datastore/<key>")
    def get(key: str):
        if key == "throttled":
            raise PutError("put", client_error("ProvisionedThroughputExceededException", "PutItem"))
        raise KeyError("a bug")

    def call(key: str) -> dict:
        event = sample_event("datastore-put.json")
        event = {**event, "routeKey": "GET /v1/datastore/{key}", "body": None, "isBase64Encoded": False}
        event["rawPath"] = f"/v1/datastore/{key}"
        event["requestContext"] = {
            **event["requestContext"],
            "http": {**event["requestContext"]["http"], "method": "GET", "path": f"/v1/datastore/{key}"},
        }
        return http_entrypoint(app)(event, LambdaContext("flyte-test", "request-1", 512, time.monotonic() + 30))

    throttled = call("throttled")
    assert throttled["statusCode"] == 503 and throttled["headers"]["Retry-After"] == "1"
    assert throttled["headers"]["Content-Type"] == "application/problem+json"
    body = json.loads(throttled["body"])
    assert body["status"] == 503 and body["dependency"] == "DynamoDB" and "ProvisionedThroughputExceeded" in body["detail"]
    bug = call("other")
    assert bug["statusCode"] == 500 and "Retry-After" not in (bug.get("headers") or {})
