"""Flows: immutable versions by uuid, the current version by name, and the trigger index."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from ..domain import flows, ids, times
from ..domain.errors import InvalidInput
from .aws import Aws
from .conditions import written
from .models import FlowModel, TableModels
from .table_versions import flow_triggers_version

_SAVE_ATTEMPTS = 10
# DynamoDB's limit on one TransactWriteItems; a save writes the version, the current pointer and the
# triggers' version marker besides the trigger rows it deletes and writes.
_TRANSACTION_ITEMS = 100
_VERSIONS_KEPT = 2048


class ConcurrentUpdate(Exception):
    """The same flow kept being replaced concurrently while saving."""


class FlowsTable:
    def __init__(self, models: TableModels, aws: Aws) -> None:
        self.current_model, self.version_model, self.trigger_model = models.flows, models.flow_versions, models.flow_triggers
        self._aws = aws
        # issue 21: every save and delete writes it in the same transaction; the step matcher's cache reads it
        self.triggers_version = flow_triggers_version(self.trigger_model)
        self._versions: dict[str, dict[str, Any]] = {}  # versions are immutable: a warm function keeps them

    def save(self, flow: dict[str, Any]) -> str:
        """Store a new immutable version and make it the current one; returns its uuid.

        One transaction keeps the version, the current pointer and the trigger index consistent; a
        concurrent save of the same name makes the condition fail and the save is retried on top of it.
        """
        new_triggers = flows.triggers(flow)
        for _ in range(_SAVE_ATTEMPTS):
            uuid = self._save_once(flow, new_triggers, self._current(flow["name"]))
            if uuid:
                return uuid
            time.sleep(random.uniform(0, 0.05))  # let the competing save finish
        raise ConcurrentUpdate(f"flow {flow['name']!r} was replaced concurrently {_SAVE_ATTEMPTS} times")

    def _save_once(self, flow: dict[str, Any], new_triggers: list[str], previous: FlowModel | None) -> str | None:
        """One attempt on top of `previous`; the new version's uuid, or None when another save came first."""
        current, versions, triggers = self.current_model, self.version_model, self.trigger_model
        uuid, at = ids.new_id(), times.now()
        old_triggers = set(previous.triggers) if previous else set()
        removed = old_triggers - set(new_triggers)
        if 3 + len(removed) + len(new_triggers) > _TRANSACTION_ITEMS:
            raise InvalidInput(
                f"Replacing flow {flow['name']!r} would remove {len(removed)} and write {len(new_triggers)} trigger entries "
                f"in one step, more than the {_TRANSACTION_ITEMS} items one DynamoDB transaction may hold. Delete the flow "
                "first (DELETE /v1/flows/{name}), then post the new version.",
                field="steps",
            )

        def transact() -> None:
            with TransactWrite(connection=self._aws.pynamodb_connection) as transaction:
                transaction.save(
                    versions(uuid, name=flow["name"], definition=flow, createdAt=at), condition=versions.uuid.does_not_exist()
                )
                transaction.save(
                    current(flow["name"], uuid=uuid, definition=flow, triggers=new_triggers, updatedAt=at),
                    condition=(current.uuid == previous.uuid) if previous else current.name.does_not_exist(),
                )
                for key in removed:
                    transaction.delete(triggers(key, flow["name"]))
                for key in new_triggers:
                    transaction.save(triggers(key, flow["name"], uuid=uuid))
                self._bump_in(transaction)

        return uuid if written(transact) else None

    def _current(self, name: str) -> FlowModel | None:
        try:
            return self.current_model.get(name, consistent_read=True)
        except DoesNotExist:
            return None

    def current(self, name: str) -> dict[str, Any] | None:
        model = self._current(name)
        return model.definition if model else None

    def list_current(self) -> Iterator[dict[str, Any]]:
        """Every current flow (a paginated scan: listing only)."""
        return (model.definition for model in self.current_model.scan())

    def delete(self, name: str) -> bool:
        """Remove the current version (history stays, so running executions finish); False if unknown."""
        for _ in range(_SAVE_ATTEMPTS):
            previous = self._current(name)
            if previous is None:
                return False
            if self._delete_once(name, previous):
                return True
        raise ConcurrentUpdate(f"flow {name!r} was replaced concurrently {_SAVE_ATTEMPTS} times")

    def version(self, uuid: str) -> dict[str, Any] | None:
        """A flow version by uuid (do not modify it), kept in memory once found."""
        found = self._versions.get(uuid)
        if found is None:
            try:
                found = self.version_model.get(uuid, consistent_read=True).definition
            except DoesNotExist:
                return None
            if len(self._versions) >= _VERSIONS_KEPT:
                self._versions.pop(next(iter(self._versions)))
            self._versions[uuid] = found
        return found

    def version_keys(self, name: str) -> list[tuple[str, datetime]]:
        """(uuid, createdAt) of every version ever saved under this name, oldest first: one index query
        (versions stay when the flow is deleted)."""
        rows = self.version_model.by_name.query(name)
        return sorted(((row.uuid, row.createdAt) for row in rows), key=lambda key: (key[1], key[0]))

    def versions(self, uuids: list[str]) -> dict[str, tuple[dict[str, Any], datetime]]:
        """The definitions and times of these versions, by uuid (batch reads of up to 100)."""
        return {model.uuid: (model.definition, model.createdAt) for model in self.version_model.batch_get(uuids)}

    def current_uuid(self, name: str) -> str | None:
        model = self._current(name)
        return model.uuid if model else None

    def triggered_by(self, pack_name: str, event_name: str) -> list[tuple[str, str]]:
        """(flow name, version uuid) of the current flows that this event starts: one strongly consistent
        query, so a flow whose save returned applies to the next event (the trigger table is no index)."""
        key = flows.trigger_key(pack_name, event_name)
        return [(row.flowName, row.uuid) for row in self.trigger_model.query(key, consistent_read=True)]

    def _bump_in(self, transaction: TransactWrite) -> None:
        """The triggers' version marker, changed by the same transaction as the triggers: a cache that
        reads the marker after the change returned cannot keep the triggers from before it. Concurrent
        saves of different flows conflict on it and the loser is retried like a concurrent save."""
        version = self.triggers_version
        transaction.update(version.transaction_item(), actions=version.bump_actions())

    def _delete_once(self, name: str, previous: FlowModel) -> bool:
        current, triggers = self.current_model, self.trigger_model

        def transact() -> None:
            with TransactWrite(connection=self._aws.pynamodb_connection) as transaction:
                transaction.delete(current(name), condition=current.uuid == previous.uuid)
                for key in previous.triggers:
                    transaction.delete(triggers(key, name))
                self._bump_in(transaction)

        return written(transact)
