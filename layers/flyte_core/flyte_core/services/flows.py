"""Flows as users manage them: post (a new version), list, get, delete."""

from __future__ import annotations

from typing import Any

from ..adapters import Adapters
from ..domain import bounds, flows
from ..domain.errors import NotFound, found
from ..observability import logger


def save(adapters: Adapters, flow: dict[str, Any]) -> list[dict[str, str]]:
    """Store a validated flow as its new current version; returns the warnings about the packs and
    commands it expects that no registered pack offers (yet)."""
    adapters.flows_table.save(flow)
    names = {name for step in flow["steps"] for name in (step["event"]["packName"], step["command"]["packName"])}
    return flows.upload_warnings(flow, {name: adapters.packs_table.with_name(name) for name in sorted(names)})


def all_flows(adapters: Adapters) -> list[dict[str, Any]]:
    return list(adapters.flows_table.list_current())


def current(adapters: Adapters, name: str) -> dict[str, Any]:
    return found(adapters.flows_table.current(name), f"No flow named {name!r}.")


def delete(adapters: Adapters, name: str, actor: dict[str, str]) -> None:
    """Remove the flow (running executions finish on their version); NotFound when there is none.
    Who deleted it is logged: the versions stay, each with its own `createdBy`."""
    if not adapters.flows_table.delete(name):
        raise NotFound(f"No flow named {name!r}.")
    logger.info("flow deleted", extra={"flowName": name, "by": actor})


_BATCH = 100  # versions read per request (DynamoDB's BatchGetItem)


def versions(adapters: Adapters, name: str, start: int) -> tuple[list[dict[str, Any]], int]:
    """The versions of a flow from `start`, oldest first, as many as a response holds (read by
    batches until the page is full), and how many there are; NotFound when none was ever saved."""
    table = adapters.flows_table
    keys = table.version_keys(name)
    if not keys:
        raise NotFound(f"No flow named {name!r} was ever saved.")
    current = table.current_uuid(name)
    entries: list[dict[str, Any]] = []
    size = 0
    for first in range(start, len(keys), _BATCH):
        chunk = keys[first : first + _BATCH]
        found_versions = table.versions([uuid for uuid, _ in chunk])
        for uuid, created_at in chunk:
            definition, _ = found_versions[uuid]
            entries.append(flows.version_entry(uuid, created_at, definition, uuid == current))
            size += bounds.json_size(entries[-1])
        if size > bounds.LIST_BUDGET_BYTES:
            break
    return entries, len(keys)
