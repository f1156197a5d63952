"""A cheap check that the stores behind the API answer: each table the pipeline writes, by name."""

from __future__ import annotations

from typing import Any

from ..settings import Settings


class Health:
    def __init__(self, dynamodb: Any, settings: Settings) -> None:
        self._dynamodb = dynamodb
        # what a dependency is called in the answer -> its table (the pipeline's: packs, events, actions)
        self.tables = {
            "PacksTable": settings.tables.packs,
            "EventsTable": settings.tables.events,
            "ActionsTable": settings.tables.actions,
        }

    def failures(self) -> dict[str, str]:
        """{dependency: why} for each table DynamoDB does not describe (unreachable, missing, not allowed)."""
        failed = {}
        for name, table in self.tables.items():
            try:
                self._dynamodb.describe_table(TableName=table)
            except Exception as error:  # whatever the SDK raises, the dependency failed; say how
                code = getattr(error, "response", {}).get("Error", {}).get("Code") if hasattr(error, "response") else None
                failed[name] = code or type(error).__name__
        return failed
