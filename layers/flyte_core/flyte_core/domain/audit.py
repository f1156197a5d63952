"""The audit of flow executions (api-contract §8): the query it answers and how executions are shown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from . import bounds
from .actions import Action, StepFailure
from .errors import InvalidInput
from .events import ZERO_EVENT_JSON, StoredEvent, trace_location
from .links import link, segment
from .times import format_time

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Query:
    flow_name: str | None = None
    step_id: str | None = None
    action_name: str | None = None
    action_pack_name: str | None = None
    action_pack_labels: dict[str, str] = field(default_factory=dict)
    start: int = 0
    limit: int = DEFAULT_LIMIT


def parse_pack_labels(text: str) -> dict[str, str]:
    """`k:v,k2:v2`: pairs without exactly one `:` are dropped, keys and values trimmed (as the original)."""
    labels = {}
    for pair in text.split(","):
        parts = pair.split(":")
        if len(parts) == 2:
            labels[parts[0].strip()] = parts[1].strip()
    return labels


def _integer(params: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(params[name])
    except (KeyError, ValueError):
        return default  # non-integers fall back to the default, as in the original


def _paging(params: Mapping[str, str]) -> tuple[int, int]:
    """`start` and `limit` of every audit list."""
    start, limit = _integer(params, "start", 0), _integer(params, "limit", DEFAULT_LIMIT)
    if start < 0:
        raise InvalidInput("'start' must not be negative.", field="start")
    if not 0 < limit <= MAX_LIMIT:
        raise InvalidInput(f"'limit' must be from 1 to {MAX_LIMIT}.", field="limit")
    return start, limit


def parse_query(params: Mapping[str, str]) -> Query:
    start, limit = _paging(params)
    labels = bounds.check_text(
        params.get("actionPackLabels", ""), "actionPackLabels", what="actionPackLabels", max_bytes=bounds.MAX_PACK_ID_BYTES
    )
    return Query(
        flow_name=_filter(params, "flowName"),
        step_id=_filter(params, "stepId"),
        action_name=_filter(params, "actionName"),
        action_pack_name=_filter(params, "actionPackName"),
        action_pack_labels=parse_pack_labels(labels),
        start=start,
        limit=limit,
    )


def _filter(params: Mapping[str, str], name: str) -> str | None:
    """A name to filter by; empty means no filter (as an absent parameter), like the original."""
    value = params.get(name)
    if not value:
        return None
    return bounds.check_name(value, name, what=name, path_segment=False)


@dataclass
class ExecutionRecord:
    correlation_id: str
    flow: dict[str, Any]
    flow_uuid: str
    actions: list[Action]
    step_failures: list[StepFailure]


def execution_url(base: str, correlation_id: str) -> str:
    return f"{base}v1/audit/flows/{segment(correlation_id)}"


def action_representation(action: Action) -> dict[str, Any]:
    rep = {
        "id": action.id,
        "name": action.name,
        "packName": action.pack_name,
        "packLabels": action.pack_labels,
        "input": action.input,
        "state": {"value": action.state, "time": format_time(action.state_time)},
        "states": action.states,
        "correlationId": action.correlation_id,
        "flowName": action.flow_name,
        "flowUUID": action.flow_uuid,
        "stepId": action.step_id,
        "context": action.context,
        "trigger": action.trigger or ZERO_EVENT_JSON,
        "attempts": action.attempts,
        **({"takenBy": action.taken_by} if action.taken_by else {}),
    }
    # No result until the action ends (the original showed a zero event; no client of its audit reads one).
    if action.result:
        rep["result"] = action.result
    return rep


def step_failure_representation(failure: StepFailure) -> dict[str, Any]:
    return {
        "stepId": failure.step_id,
        "field": failure.field,
        "message": failure.message,
        "time": format_time(failure.time),
        "trigger": failure.trigger,
    }


def execution_representation(record: ExecutionRecord, base: str) -> dict[str, Any]:
    rep: dict[str, Any] = {
        "name": record.flow["name"],
        "uuid": record.flow_uuid,
        "correlationId": record.correlation_id,
        "steps": record.flow["steps"],
        **({"createdBy": record.flow["createdBy"]} if record.flow.get("createdBy") else {}),
        "actions": {a.step_id: action_representation(a) for a in sorted(record.actions, key=lambda a: a.state_time)},
    }
    if record.step_failures:
        rep["stepFailures"] = [step_failure_representation(f) for f in sorted(record.step_failures, key=lambda f: f.time)]
    rep["links"] = [link(execution_url(base, record.correlation_id), "self")]
    return rep


def list_representation(
    records: list[ExecutionRecord], base: str, params: Mapping[str, str] | None = None, start: int = 0
) -> dict[str, Any]:
    """Executions as the list shows them: large values cut (each entry links to its whole record),
    and no more entries than fit a response; then a `next` link continues where this page stops."""
    entries = [_listed(execution_representation(r, base)) for r in records]
    count = bounds.fitting([bounds.json_size(entry) for entry in entries])
    links = [link(f"{base}v1/audit/flows", "self"), link(f"{base}v1", "up"), link(f"{base}swagger#/flowExecs", "help")]
    if count < len(entries):
        following = urlencode({**(params or {}), "start": str(start + count)}, quote_via=quote)
        links.append(link(f"{base}v1/audit/flows?{following}", "next"))
    return {"flows": entries[:count], "links": links}


def _listed(rep: dict[str, Any]) -> dict[str, Any]:
    whole = rep["links"][0]["href"]
    rep["steps"] = bounds.cut(rep["steps"], whole)
    for action in rep["actions"].values():
        action["input"] = bounds.cut(action["input"], whole)
        action["context"] = bounds.cut(action["context"], whole)
        for part in ("trigger", "result"):
            if part in action:  # an action that has not ended has no result
                action[part] = {**action[part], "payload": bounds.cut(action[part].get("payload"), whole)}
    for failure in rep.get("stepFailures", []):
        failure["trigger"] = bounds.cut(failure["trigger"], whole)
    return rep


# --- events: why each step of each flow did or did not fire ------------------------------------------


@dataclass(frozen=True)
class EventQuery:
    pack_name: str | None = None
    event: str | None = None
    start: int = 0
    limit: int = DEFAULT_LIMIT


def parse_event_query(params: Mapping[str, str]) -> EventQuery:
    start, limit = _paging(params)
    return EventQuery(pack_name=_filter(params, "packName"), event=_filter(params, "event"), start=start, limit=limit)


def _event_summary(stored: StoredEvent, base: str) -> dict[str, Any]:
    event = stored.event
    return {
        "id": event.id,
        "event": event.name,
        "pack": {"id": event.pack_id, "name": event.pack_name, "labels": event.pack_labels},
        "receivedAt": format_time(event.received_at),
        "status": "processed" if stored.trace is not None else "pending",
    }


def event_representation(stored: StoredEvent, base: str) -> dict[str, Any]:
    """The event, and every step of every flow the matcher considered for it, with its outcome."""
    flows = []
    for flow in stored.trace or []:
        ran = any(step["outcome"] == "fired" or step["reason"] == "template" for step in flow["steps"])
        links = (
            [link(f"{base}v1/audit/flows/{flow['correlationId']}", f"{base}swagger#!/flowAudit/getFlowExecution")] if ran else []
        )
        flows.append({**flow, "links": links})
    return {
        **_event_summary(stored, base),
        "payload": stored.event.payload,
        "createdAt": format_time(stored.event.created_at),
        # who posted it, with the chat actor kept or dropped (issue 27)
        **({"actor": stored.event.actor} if stored.event.actor else {}),
        "firedSteps": stored.fired_steps,
        "flows": flows,
        "links": [
            link(trace_location(base, stored.event.id), "self"),
            link(f"{base}v1/audit/events", "up"),
            link(f"{base}swagger#/eventAudit", "help"),
        ],
    }


def event_list_representation(events: list[StoredEvent], base: str) -> dict[str, Any]:
    return {
        "events": [
            {
                **_event_summary(stored, base),
                "firedSteps": stored.fired_steps,
                "links": [link(trace_location(base, stored.event.id), "self")],
            }
            for stored in events
        ],
        "links": [link(f"{base}v1/audit/events", "self"), link(f"{base}v1", "up"), link(f"{base}swagger#/eventAudit", "help")],
    }
