"""The one place that configures AWS access, for boto3 and PynamoDB alike, from the settings.

Endpoints come from the settings (`AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`: moto or another
local endpoint); None means AWS itself.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from ..settings import MAX_TAKE_WAIT_SECONDS, Settings

# One set of timeouts for every AWS call. Reads allow a long poll of the longest wait plus a margin;
# DynamoDB answers well within it.
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = MAX_TAKE_WAIT_SECONDS + 10
MAX_ATTEMPTS = 3
MAX_POOL_CONNECTIONS = 50


class Aws:
    """The AWS clients of one function environment, created on first use and then reused."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def sqs(self) -> Any:
        return self._client("sqs", self.settings.sqs_endpoint)

    @cached_property
    def dynamodb(self) -> Any:
        return self._client("dynamodb", self.settings.dynamodb_endpoint)

    def _client(self, service: str, endpoint: str | None) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS,
                        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
                        max_pool_connections=MAX_POOL_CONNECTIONS)
        return boto3.session.Session().client(service, region_name=self.settings.region, endpoint_url=endpoint,
                                              config=config)

    def pynamodb_meta(self, table_name: str) -> type:
        """A PynamoDB model's Meta for a table, on the same endpoint, region and timeouts as the clients."""
        return type("Meta", (), {
            "table_name": table_name,
            "region": self.settings.region,
            "host": self.settings.dynamodb_endpoint,
            "connect_timeout_seconds": CONNECT_TIMEOUT_SECONDS,
            "read_timeout_seconds": READ_TIMEOUT_SECONDS,
            "max_retry_attempts": MAX_ATTEMPTS,
            "max_pool_connections": MAX_POOL_CONNECTIONS,
        })

    @cached_property
    def pynamodb_connection(self) -> Any:
        """A PynamoDB connection for transactions, configured as the models are."""
        from pynamodb.connection import Connection

        return Connection(region=self.settings.region, host=self.settings.dynamodb_endpoint,
                          connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS, read_timeout_seconds=READ_TIMEOUT_SECONDS,
                          max_retry_attempts=MAX_ATTEMPTS, max_pool_connections=MAX_POOL_CONNECTIONS)
