"""Flows: immutable versions by uuid, the current version by name, and the trigger index."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain import flows, ids, times
from .aws import pynamodb_connection
from .models import FlowModel, FlowTriggerModel, FlowVersionModel

_SAVE_ATTEMPTS = 10


class ConcurrentUpdate(Exception):
    """The same flow kept being replaced concurrently while saving."""


def save(flow: dict[str, Any]) -> str:
    """Store a new immutable version and make it the current one; returns its uuid.

    One transaction keeps the version, the current pointer and the trigger index consistent; a
    concurrent save of the same name makes the condition fail and the save is retried on top of it.
    """
    new_triggers = flows.triggers(flow)
    for _ in range(_SAVE_ATTEMPTS):
        previous = _current_model(flow["name"])
        uuid = ids.new_id()
        at = times.now()
        old_triggers = set(previous.triggers) if previous else set()
        try:
            with TransactWrite(connection=pynamodb_connection()) as transaction:
                transaction.save(FlowVersionModel(uuid, name=flow["name"], definition=flow, createdAt=at),
                                 condition=FlowVersionModel.uuid.does_not_exist())
                transaction.save(
                    FlowModel(flow["name"], uuid=uuid, definition=flow, triggers=new_triggers, updatedAt=at),
                    condition=(FlowModel.uuid == previous.uuid) if previous else FlowModel.name.does_not_exist(),
                )
                for key in old_triggers - set(new_triggers):
                    transaction.delete(FlowTriggerModel(key, flow["name"]))
                for key in new_triggers:
                    transaction.save(FlowTriggerModel(key, flow["name"], uuid=uuid))
            return uuid
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
            time.sleep(random.uniform(0, 0.05))  # let the competing save finish
    raise ConcurrentUpdate(f"flow {flow['name']!r} was replaced concurrently {_SAVE_ATTEMPTS} times")


def _current_model(name: str) -> FlowModel | None:
    try:
        return FlowModel.get(name, consistent_read=True)
    except DoesNotExist:
        return None


def current(name: str) -> dict[str, Any] | None:
    model = _current_model(name)
    return model.definition if model else None


def list_current() -> Iterator[dict[str, Any]]:
    """Every current flow (a paginated scan: listing only)."""
    return (model.definition for model in FlowModel.scan())


def delete(name: str) -> bool:
    """Remove the current version (history stays, so running executions finish); False if unknown."""
    for _ in range(_SAVE_ATTEMPTS):
        previous = _current_model(name)
        if previous is None:
            return False
        try:
            with TransactWrite(connection=pynamodb_connection()) as transaction:
                transaction.delete(FlowModel(name), condition=FlowModel.uuid == previous.uuid)
                for key in previous.triggers:
                    transaction.delete(FlowTriggerModel(key, name))
            return True
        except TransactWriteError as error:
            if error.cause_response_code != "TransactionCanceledException":
                raise
    raise ConcurrentUpdate(f"flow {name!r} was replaced concurrently {_SAVE_ATTEMPTS} times")


def version(uuid: str) -> dict[str, Any] | None:
    """A flow version by uuid (do not modify it). Versions are immutable, so a warm function keeps
    the ones it has found in memory."""
    found = _versions.get(uuid)
    if found is None:
        try:
            found = FlowVersionModel.get(uuid, consistent_read=True).definition
        except DoesNotExist:
            return None
        if len(_versions) >= _VERSIONS_KEPT:
            _versions.pop(next(iter(_versions)))
        _versions[uuid] = found
    return found


_VERSIONS_KEPT = 2048
_versions: dict[str, dict[str, Any]] = {}


def triggered_by(pack_name: str, event_name: str) -> list[tuple[str, str]]:
    """(flow name, version uuid) of the current flows that this event starts: one index query."""
    return [(row.flowName, row.uuid) for row in FlowTriggerModel.query(flows.trigger_key(pack_name, event_name))]
