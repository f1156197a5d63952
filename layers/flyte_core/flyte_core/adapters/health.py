"""A cheap check that the datastore behind the API answers."""

from __future__ import annotations

from ..settings import settings
from .aws import client


def ping() -> None:
    """Raises when DynamoDB cannot be reached or the packs table is missing."""
    client("dynamodb").describe_table(TableName=settings().packs_table)
