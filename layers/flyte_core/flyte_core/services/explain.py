"""Use cases of explainability: test a flow before it runs and replay an edit over stored events
(both only read: no side effects), and warn when a flow is saved about what no registered pack offers."""

from __future__ import annotations

from typing import Any

from ..adapters import Adapters
from ..domain import explain, flows, times
from ..domain.errors import found
from . import chat_identities, matching


def test_flow(adapters: Adapters, body: dict[str, Any]) -> dict[str, Any]:
    """A dry run of the flow of a test request body against its event."""
    return _dry_run(adapters, flows.parse_flow(body.get("flow")), body)


def test_stored_flow(adapters: Adapters, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """A dry run of the current version of a flow; NotFound when there is none."""
    flow = found(adapters.flows_table.current(name), f"No flow named {name!r}.")
    return _dry_run(adapters, flow, body)


def _dry_run(adapters: Adapters, flow: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    test = explain.parse_test_input(body)
    outcomes = explain.dry_run(flow, test, *matching.renderer(adapters), chat_identities.claims_resolver(adapters))
    return explain.outcomes_representation(flow, outcomes)


def replay(adapters: Adapters, body: dict[str, Any], base: str) -> dict[str, Any]:
    """The candidate flow and the current version of its name over the stored events in the window
    that start either (newest first, at most `limit`): the steps whose outcome would change."""
    candidate = flows.parse_flow(body.get("flow"))
    since = explain.parse_since(body.get("since", explain.DEFAULT_REPLAY_WINDOW), times.now())
    limit = explain.parse_replay_limit(body.get("limit"))
    current = adapters.flows_table.current(candidate["name"])
    names_by_pack: dict[str, set[str]] = {}
    for flow in (candidate, current):
        for pack_name, event_name in flows.trigger_pairs(flow) if flow else ():
            names_by_pack.setdefault(pack_name, set()).add(event_name)
    events = [
        event
        for pack_name, names in sorted(names_by_pack.items())
        for event in adapters.events_table.received_since(pack_name, names, since, limit)
    ]
    events = sorted(events, key=lambda e: (e.received_at, e.id), reverse=True)[:limit]
    claims_of = chat_identities.claims_resolver(adapters)
    return explain.replay(candidate, current, events, *matching.renderer(adapters), base, claims_of)
