"""Events -> actions: which steps an event fires in the executions it concerns (the stream consumer's
use case), recorded idempotently - execution and action ids derive from their causes and records are
created with conditional writes - then handed to the pipeline for delivery to pack queues."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import observability
from ..adapters import Adapters
from ..domain import execution, times
from ..domain.actions import Action
from ..domain.approvals import WAITING as WAITING_APPROVAL
from ..domain.events import Event
from ..domain.execution import Execution
from ..observability import logger
from . import approvals, chat_identities
from .pipeline import deliver


@dataclass
class MatchOutcome:
    created: list[str]
    failed_steps: list[str]
    trace: list[dict[str, Any]]  # every flow considered, with every step's outcome
    fired_steps: int = 0


def match_stored_event(adapters: Adapters, new_image: dict[str, Any]) -> tuple[Event, MatchOutcome]:
    """Match the event a stream record carries (its NewImage); ValueError when it is not a whole event."""
    event = adapters.events_table.from_stream_image(new_image)
    logger.append_keys(eventId=event.id)
    return event, match_event(adapters, event)


def match_event(adapters: Adapters, event: Event) -> MatchOutcome:
    """Run every execution this event concerns: the one a result continues and new ones it starts;
    then write on the event what became of each of their steps (its trace)."""
    render = renderer(adapters)
    claims_of = chat_identities.claims_resolver(adapters)  # issue 27: steps with `actor:`, approvals
    approvals.answered(adapters, event, claims_of)  # a click on an approval's button, if it is one
    outcome = MatchOutcome(created=[], failed_steps=[], trace=[])
    for run in _executions_for(adapters, event):
        planned = execution.plan(run, event, *render, claims_of)
        outcome.trace.append(trace_of(run, planned.outcomes))
        outcome.fired_steps += len(planned.actions)
        for step in planned.outcomes:
            observability.record_step(run.flow["name"], step.fired, step.reason)
        for failure in planned.failures:
            logger.warning(
                "step skipped: template failed",
                extra={
                    "stepId": failure.step_id,
                    "field": failure.field,
                    "error": failure.message,
                    "flow": failure.flow_name,
                    "correlationId": failure.correlation_id,
                },
            )
            adapters.actions_table.record_step_failure(failure)
            observability.record_template_failure(failure.flow_name)
            outcome.failed_steps.append(failure.step_id)
        for action in planned.actions:
            stored, created = adapters.actions_table.create(action)
            if created:
                outcome.created.append(stored.id)
                observability.record_action_created(
                    action.flow_name, action.pack_name, action.name, event.received_at, times.now()
                )
            if stored is not None and stored.state == "NEW":
                # also after a redelivery: the first attempt may have stopped before sending
                deliver(adapters, stored.id, stored.name, stored.pack_name, stored.pack_labels)
            elif stored is not None and stored.state == WAITING_APPROVAL:  # its timer (again after a redelivery)
                approvals.started(adapters, stored, event)
    adapters.events_table.record_trace(event.id, outcome.trace, outcome.fired_steps, times.now())
    return outcome


def trace_of(run: Execution, outcomes: list[execution.StepOutcome]) -> dict[str, Any]:
    return {"name": run.flow["name"], "correlationId": run.correlation_id, "steps": [o.as_json() for o in outcomes]}


def _executions_for(adapters: Adapters, event: Event) -> list[Execution]:
    runs = []
    if event.action_id:
        completed = adapters.actions_table.get(event.action_id)
        flow = adapters.flows_table.version(completed.flow_uuid) if completed else None
        if completed and flow:
            states = {
                a.step_id: a.state
                for a in adapters.actions_table.in_execution(completed.correlation_id)
                if not _created_by(a, event)
            }
            states[completed.step_id] = completed.state  # the index may lag; the table read may not
            runs.append(Execution(completed.correlation_id, completed.flow_uuid, flow, completed.context, states))
    for flow_name, uuid in adapters.lookups.triggered_by(event.pack_name, event.name):
        flow = adapters.flows_table.version(uuid)
        if flow is None:
            logger.error("trigger names a missing flow version", extra={"flow": flow_name, "uuid": uuid})
            continue
        runs.append(Execution(execution.correlation_id_for(event, uuid), uuid, flow, {}, {}))
    return runs


def _created_by(action: Action, event: Event) -> bool:
    """Actions this very event created in an earlier delivery do not count as already there."""
    return action.trigger is not None and action.trigger.get("id") == event.id


def renderer(adapters: Adapters) -> tuple[Callable[[str, Any], str], Callable[[str], bool]]:
    """Templates as the pipeline renders them (datastore reads included), and Go's ParseBool."""
    from ..domain import templating  # jinja2 and re2: for the step matcher (and flow validation) only

    def read_datastore(key: str) -> tuple[str, bytes]:
        item = adapters.datastore_table.get(key)
        if item is None:
            raise KeyError(key)
        return item.content_type, item.value

    return (lambda source, variables: templating.render(source, variables, datastore=read_datastore)), templating.parse_bool
