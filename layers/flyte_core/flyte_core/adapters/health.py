"""A cheap check that the datastore behind the API answers."""

from __future__ import annotations

from typing import Any

from ..settings import Settings


class Health:
    def __init__(self, dynamodb: Any, settings: Settings) -> None:
        self._dynamodb = dynamodb
        self._table = settings.tables.packs

    def ping(self) -> None:
        """Raises when DynamoDB cannot be reached or the packs table is missing."""
        self._dynamodb.describe_table(TableName=self._table)
