"""The one place that configures AWS access, for boto3 and PynamoDB alike, from the settings
(`AwsAccess`: the region, and endpoints such as moto's for local runs; None means AWS itself)."""

from __future__ import annotations

import threading
from typing import Any

from ..settings import MAX_TAKE_WAIT_SECONDS, AwsAccess

# One set of timeouts for every AWS call. Reads allow a long poll of the longest wait plus a margin;
# DynamoDB answers well within it.
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = MAX_TAKE_WAIT_SECONDS + 10
MAX_POOL_CONNECTIONS = 50


_this_thread = threading.local()


def botocore_session() -> Any:
    """This thread's botocore session, which every boto3 client and PynamoDB connection of the thread
    shares. A session of their own (a new `boto3.session.Session()` per client, and PynamoDB's one per
    table's connection) reads the SDK's endpoint and service data afresh: 70 ms of CPU per client,
    against 2 ms on a shared one, so a cold start that touched six tables spent half a second on it.
    One per thread, not per process, because creating clients is not thread-safe in botocore (why
    PynamoDB keeps a session per thread)."""
    session = getattr(_this_thread, "botocore", None)
    if session is None:
        import botocore.session

        session = _this_thread.botocore = botocore.session.get_session()
    return session


def boto3_session() -> Any:
    """This thread's boto3 session, over its botocore session (one, since each boto3 session adds
    its handlers and data path to the botocore session it wraps)."""
    session = getattr(_this_thread, "boto3", None)
    if session is None:
        import boto3.session

        session = _this_thread.boto3 = boto3.session.Session(botocore_session=botocore_session())
    return session


def _pynamodb_shares_the_session() -> None:
    """PynamoDB creates its connections' sessions with the `get_session` it imported; give it ours."""
    from pynamodb.connection import base

    base.get_session = botocore_session  # patched: PynamoDB has no setting for it


class Aws:
    """The AWS clients of one function environment, each created on first use and then reused."""

    def __init__(self, access: AwsAccess) -> None:
        self.access = access
        self._clients: dict[str, Any] = {}
        self._pynamodb_connection: Any = None
        _pynamodb_shares_the_session()

    @property
    def sqs(self) -> Any:
        return self.client("sqs")

    @property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    def client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config

            config = Config(
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
                retries={"mode": "standard", "max_attempts": self.access.retries},  # botocore: retries
                max_pool_connections=MAX_POOL_CONNECTIONS,
            )
            self._clients[service] = boto3_session().client(
                service, region_name=self.access.region, endpoint_url=self.access.endpoint_for(service), config=config
            )
        return self._clients[service]

    def pynamodb_meta(self, table_name: str) -> type:
        """A PynamoDB model's Meta for a table, on the same endpoint, region and timeouts as the clients."""
        return type(
            "Meta",
            (),
            {
                "table_name": table_name,
                "region": self.access.region,
                "host": self.access.endpoint_for("dynamodb"),
                "connect_timeout_seconds": CONNECT_TIMEOUT_SECONDS,
                "read_timeout_seconds": READ_TIMEOUT_SECONDS,
                "max_retry_attempts": self.access.retries,
                "max_pool_connections": MAX_POOL_CONNECTIONS,
            },
        )

    @property
    def pynamodb_connection(self) -> Any:
        """A PynamoDB connection for transactions, configured as the models are."""
        if self._pynamodb_connection is None:
            from pynamodb.connection import Connection

            self._pynamodb_connection = Connection(
                region=self.access.region,
                host=self.access.endpoint_for("dynamodb"),
                connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS,
                read_timeout_seconds=READ_TIMEOUT_SECONDS,
                max_retry_attempts=self.access.retries,
                max_pool_connections=MAX_POOL_CONNECTIONS,
            )
        return self._pynamodb_connection


DYNAMODB_ITEM_BYTES = 400 * 1024


# Codes AWS answers when it cannot do a request now but may later (throttling, its own failures).
UNAVAILABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "ThrottlingError",  # a transaction's cancellation reason
        "ProvisionedThroughputExceededException",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "LimitExceededException",
        "TransactionConflict",
        "TransactionConflictException",
        "TransactionInProgressException",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "AWS.SimpleQueueService.ServiceUnavailable",
        "KMS.ThrottlingException",
    }
)
SERVICE_NAMES = {"dynamodb": "DynamoDB", "sqs": "SQS", "secretsmanager": "Secrets Manager", "ssm": "SSM Parameter Store"}
RETRY_AFTER_SECONDS = 1


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what caused it (PynamoDB's `cause`, Python's chain), without cycles."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop(0)
        if current is None or any(current is known for known in seen):
            continue
        seen.append(current)
        pending += [getattr(current, "cause", None), current.__cause__, current.__context__]
    return seen


def _service_of_operation(operation: str) -> str:
    """Which AWS service has an operation (by the SDK's own models), e.g. SendMessage -> SQS."""
    for service, name in SERVICE_NAMES.items():
        if operation in botocore_session().get_service_model(service).operation_names:
            return name
    return "AWS"


def _unavailable(error: BaseException) -> Exception | None:
    """Unavailable (503, Retry-After), naming the AWS service, for a failure that outlived the SDK's
    retries: throttling, AWS's own errors (5xx), no connection or no answer. Anything else (a bug, a
    refused request) is not one: it stays a 500."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
    from pynamodb.exceptions import PynamoDBException

    from ..domain.errors import Unavailable

    causes = _causes(error)
    through_pynamodb = any(isinstance(cause, PynamoDBException) for cause in causes)  # PynamoDB talks to DynamoDB only
    for cause in causes:
        service, reason = None, None
        if isinstance(cause, PynamoDBException):
            codes = [cause.cause_response_code] + [
                reason.code for reason in getattr(cause, "cancellation_reasons", None) or [] if reason is not None
            ]
            hit = next((code for code in codes if code in UNAVAILABLE_CODES), None)
            if hit:
                service, reason = "DynamoDB", hit
        elif isinstance(cause, ClientError):
            code = cause.response.get("Error", {}).get("Code", "")
            status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if code in UNAVAILABLE_CODES or status >= 500:
                service, reason = _service_of_operation(cause.operation_name), code or f"HTTP {status}"
        elif isinstance(cause, (ConnectionError, HTTPClientError)):
            endpoint = str(getattr(cause, "kwargs", {}).get("endpoint_url") or "")
            host = endpoint.split("://", 1)[-1].split(".", 1)[0]
            service = "DynamoDB" if through_pynamodb else SERVICE_NAMES.get(host, "AWS")
            reason = type(cause).__name__
        if service:
            return Unavailable(
                f"{service} did not handle the request ({reason}) after retries; retry after {RETRY_AFTER_SECONDS} s.",
                dependency=service,
                retryAfterSeconds=RETRY_AFTER_SECONDS,
            )
    return None


def as_domain_error(error: BaseException) -> Exception | None:
    """The domain error an AWS failure means, where it has one: an item larger than DynamoDB holds
    is TooLarge (the last line of defence: the domain bounds each document before it is written); a
    failure that retrying later may cure is Unavailable (503)."""
    from pynamodb.exceptions import PynamoDBException

    from ..domain.errors import TooLarge

    if isinstance(error, PynamoDBException):
        messages = [(error.cause_response_code, error.cause_response_message or "")]
        messages += [
            (reason.code, reason.message or "")
            for reason in getattr(error, "cancellation_reasons", None) or []
            if reason is not None
        ]
        if any(code in ("ValidationException", "ValidationError") and "size" in message.lower() for code, message in messages):
            return TooLarge(
                f"The record is larger than a DynamoDB item holds ({DYNAMODB_ITEM_BYTES} bytes).", maxBytes=DYNAMODB_ITEM_BYTES
            )
    return _unavailable(error)
