"""The one place that configures AWS access, for boto3 and PynamoDB alike.

`AWS_ENDPOINT_URL` (or a service-specific `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS`)
points everything at moto or another local endpoint; unset or empty (the template declares it empty
for sam local to fill), the SDK talks to AWS.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from ..settings import settings

# Long polls hold an SQS connection for up to 20 s; everything else answers quickly.
_CONFIG = Config(connect_timeout=3, read_timeout=30, retries={"mode": "standard", "max_attempts": 3},
                 max_pool_connections=50)


def endpoint_url(service: str) -> str | None:
    return os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get("AWS_ENDPOINT_URL") or None


@lru_cache(maxsize=None)
def client(service: str) -> Any:
    return boto3.session.Session().client(
        service, region_name=settings().region, endpoint_url=endpoint_url(service), config=_CONFIG
    )


def pynamodb_meta(table_name: str) -> dict[str, Any]:
    """Attributes for a PynamoDB model's Meta, so models follow the same endpoint and region."""
    return {
        "table_name": table_name,
        "region": settings().region,
        "host": endpoint_url("dynamodb"),
        "connect_timeout_seconds": 3,
        "read_timeout_seconds": 10,
        "max_pool_connections": 50,
    }


@lru_cache(maxsize=1)
def pynamodb_connection() -> Any:
    """A PynamoDB connection for transactions, on the same endpoint and region as the models."""
    from pynamodb.connection import Connection

    return Connection(region=settings().region, host=endpoint_url("dynamodb"), max_pool_connections=50)


DYNAMODB_ITEM_BYTES = 400 * 1024


def as_domain_error(error: BaseException) -> Exception | None:
    """The domain error an AWS failure means, where it has one: an item larger than DynamoDB holds
    is TooLarge (the last line of defence: the domain bounds each document before it is written)."""
    from pynamodb.exceptions import PynamoDBException

    from ..domain.errors import TooLarge

    if isinstance(error, PynamoDBException):
        messages = [(error.cause_response_code, error.cause_response_message or "")]
        messages += [(reason.code, reason.message or "") for reason in getattr(error, "cancellation_reasons", None) or []
                     if reason is not None]
        if any(code in ("ValidationException", "ValidationError") and "size" in message.lower() for code, message in messages):
            return TooLarge(f"The record is larger than a DynamoDB item holds ({DYNAMODB_ITEM_BYTES} bytes).",
                            maxBytes=DYNAMODB_ITEM_BYTES)
    return None
