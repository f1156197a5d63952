"""Flows as users manage them: post (a new version), list, get, delete."""

from __future__ import annotations

from typing import Any

from ..adapters import Adapters
from ..domain.errors import NotFound, found


def save(adapters: Adapters, flow: dict[str, Any]) -> str:
    """Store a validated flow as its new current version; returns the version's uuid."""
    return adapters.flows_table.save(flow)


def all_flows(adapters: Adapters) -> list[dict[str, Any]]:
    return list(adapters.flows_table.list_current())


def current(adapters: Adapters, name: str) -> dict[str, Any]:
    return found(adapters.flows_table.current(name), f"No flow named {name!r}.")


def delete(adapters: Adapters, name: str) -> None:
    """Remove the flow (running executions finish on their version); NotFound when there is none."""
    if not adapters.flows_table.delete(name):
        raise NotFound(f"No flow named {name!r}.")
