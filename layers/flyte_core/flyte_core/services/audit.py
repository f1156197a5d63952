"""The audit of flow executions (api-contract §8): find executions by what their actions did, show one whole."""

from __future__ import annotations

from datetime import datetime

from ..adapters import Adapters
from ..domain.audit import EventQuery, ExecutionRecord, Query
from ..domain.errors import found
from ..domain.events import StoredEvent


def find(adapters: Adapters, query: Query) -> list[ExecutionRecord]:
    """Filter actions, group them by execution, newest matching state first, then page. Actions that
    come newest first (the list without a flow, issue 21) are read only until the page is full."""
    latest: dict[str, datetime] = {}
    records, newest_first = adapters.actions_table.audit_records(
        query.flow_name, query.step_id, query.action_name, query.action_pack_name
    )
    for action in records:
        if all(action.pack_labels.get(k) == v for k, v in query.action_pack_labels.items()):
            if newest_first and action.correlation_id not in latest and len(latest) == query.start + query.limit:
                break  # every later action is older than the page's executions
            if action.correlation_id not in latest or action.state_time > latest[action.correlation_id]:
                latest[action.correlation_id] = action.state_time
    ordered = sorted(latest, key=lambda cid: latest[cid], reverse=True)[query.start : query.start + query.limit]
    return [record for record in (_execution(adapters, cid) for cid in ordered) if record is not None]


def execution(adapters: Adapters, correlation_id: str) -> ExecutionRecord:
    """One execution, whole; NotFound when nothing of it is left."""
    return found(_execution(adapters, correlation_id), f"No flow execution {correlation_id!r}.")


def _execution(adapters: Adapters, correlation_id: str) -> ExecutionRecord | None:
    actions, step_failures = adapters.actions_table.execution_records(correlation_id)
    if not actions and not step_failures:
        return None
    flow_uuid = (actions[0] if actions else step_failures[0]).flow_uuid
    flow = adapters.flows_table.version(flow_uuid)
    if flow is None:
        return None
    return ExecutionRecord(correlation_id, flow, flow_uuid, actions=actions, step_failures=step_failures)


def find_events(adapters: Adapters, query: EventQuery) -> list[StoredEvent]:
    """Events newest first, paged."""
    newest = adapters.events_table.newest_first(query.pack_name, query.event, query.start + query.limit)
    return list(newest)[query.start : query.start + query.limit]


def event_trace(adapters: Adapters, event_id: str) -> StoredEvent:
    """An event and, once the step matcher processed it, its trace; NotFound when it is gone."""
    return found(adapters.events_table.get(event_id), f"No event {event_id!r} (events are kept for TtlInSeconds).")
