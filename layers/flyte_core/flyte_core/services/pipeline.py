"""The execution pipeline: event -> actions -> pack queues -> take -> result -> next steps.

Every step is idempotent, so a stream record or a request processed twice changes nothing more:
execution and action ids are derived from their causes, records are created with conditional
writes, and duplicate queue messages are resolved when an action is taken.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..adapters import Adapters
from ..domain import execution, times
from ..domain.actions import Action
from ..domain.errors import NotAllowed, StateConflict, found
from ..domain.events import FATAL, Event, new_event
from ..domain.execution import Execution
from ..domain.packs import Pack, labels_include
from ..observability import logger, metrics

if TYPE_CHECKING:
    from ..adapters.action_queues import Message

# --- events in ---------------------------------------------------------------------------------


def receive_event(adapters: Adapters, pack: Pack, name: str, payload: Any, created_at: datetime | None) -> Event:
    """Store a posted event; the events table's stream takes it from there."""
    event = new_event(name, pack.id, pack.name, pack.labels, payload, created_at)
    adapters.events_table.put(event)
    logger.info("event received", extra={"eventId": event.id, "event": name, "packId": pack.id})
    return event


# --- events -> actions (the stream consumer) ----------------------------------------------------


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
    outcome = MatchOutcome(created=[], failed_steps=[], trace=[])
    for run in _executions_for(adapters, event):
        planned = execution.plan(run, event, *render)
        outcome.trace.append(trace_of(run, planned.outcomes))
        outcome.fired_steps += len(planned.actions)
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
            outcome.failed_steps.append(failure.step_id)
        for action in planned.actions:
            stored, created = adapters.actions_table.create(action)
            if created:
                outcome.created.append(stored.id)
                metrics.add_metric(name="ActionsCreated", unit="Count", value=1)
            if stored is not None and stored.state == "NEW":
                # also after a redelivery: the first attempt may have stopped before sending
                deliver(adapters, stored.id, stored.name, stored.pack_name, stored.pack_labels)
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
    for flow_name, uuid in adapters.flows_table.triggered_by(event.pack_name, event.name):
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


def deliver(adapters: Adapters, action_id: str, command: str, pack_name: str, pack_labels: dict[str, str]) -> int:
    """Send the action to the queue of every registered pack that may take it; returns how many.

    With none registered it waits (NEW, in the waiting index) until a matching pack registers.
    """
    sent = 0
    for pack in adapters.packs_table.with_name(pack_name):
        if labels_include(pack.labels, pack_labels) and pack.queue_url:
            adapters.action_queues.send(pack.queue_url, action_id, command)
            sent += 1
    if not sent:
        logger.info(
            "action waits for a matching pack", extra={"actionId": action_id, "packName": pack_name, "packLabels": pack_labels}
        )
    return sent


def enqueue_waiting(adapters: Adapters, pack: Pack) -> int:
    """When a pack registers, offer it every unfinished action it may take."""
    waiting = [
        (a.id, a.name)
        for a in adapters.actions_table.waiting_for(pack.name)
        if a.state in ("NEW", "PENDING") and labels_include(pack.labels, a.pack_labels)
    ]
    if waiting:
        adapters.action_queues.send_many(pack.queue_url, waiting)
        logger.info("offered waiting actions to a new pack", extra={"packId": pack.id, "count": len(waiting)})
    return len(waiting)


# --- take ----------------------------------------------------------------------------------------


def take(adapters: Adapters, pack: Pack, wait_seconds: int, command: str | None = None) -> Action | None:
    """Long-poll the pack's queue for an action it may run, claim it and return it (None: nothing came).

    Messages of other commands (when filtering) are held during this poll and released at its end.
    """
    deadline = time.monotonic() + wait_seconds
    held: list[str] = []
    try:
        while True:
            remaining = deadline - time.monotonic()
            for message in adapters.action_queues.receive(pack.queue_url, max(0, int(remaining))):
                action = _claim(adapters, pack, message, command, held)
                if action is not None:
                    return action
            if remaining < 1:
                return None
    finally:
        for receipt in held:
            adapters.action_queues.hide(pack.queue_url, receipt, 0)


def _claim(adapters: Adapters, pack: Pack, message: Message, command: str | None, held: list[str]) -> Action | None:
    try:  # the common case: a NEW action, claimed without reading it first
        return _taken(adapters.actions_table.claim(message.action_id, pack.id, pack.queue_url, message.receipt, command), pack)
    except StateConflict:
        pass
    action = adapters.actions_table.get(message.action_id)
    if action is None or action.state in execution.TERMINAL:
        adapters.action_queues.delete(pack.queue_url, message.receipt)
        return None
    if command and action.name != command:
        held.append(message.receipt)
        return None
    now = times.now()
    if action.state == "NEW":  # not expected (states never go back to NEW): let it be taken again
        adapters.action_queues.hide(pack.queue_url, message.receipt, 0)
        return None
    if action.lease_expires_at and action.lease_expires_at > now:
        # someone holds it: offer it again when that lease ends, in case that taker dies
        adapters.action_queues.hide(pack.queue_url, message.receipt, (action.lease_expires_at - now).total_seconds() + 1)
        return None
    if action.attempts >= adapters.settings.action_max_attempts:
        expire(adapters, action, pack.id)
        adapters.action_queues.delete(pack.queue_url, message.receipt)
        return None
    try:
        return _taken(adapters.actions_table.claim(action.id, pack.id, pack.queue_url, message.receipt, expired=action), pack)
    except StateConflict:
        return None  # another taker won; its message copy settles the action


def _taken(action: Action, pack: Pack) -> Action:
    logger.info("action taken", extra={"actionId": action.id, "packId": pack.id, "attempt": action.attempts})
    return action


def expire(adapters: Adapters, action: Action, pack_id: str) -> None:
    """End an action whose every lease ran out: FATAL, with a result event that continues the flow."""
    lease, attempts = adapters.settings.action_lease_seconds, adapters.settings.action_max_attempts
    reason = (
        f"No result after {action.attempts} attempt(s) of {lease} s each "
        f"(FLYTE_ACTION_MAX_ATTEMPTS={attempts}, FLYTE_ACTION_LEASE_SECONDS={lease})."
    )
    result = new_event(FATAL, pack_id, action.pack_name, action.pack_labels, reason, action_id=action.id)
    try:
        adapters.actions_table.finish(action, result)
        logger.warning("action expired", extra={"actionId": action.id, "attempts": action.attempts})
    except StateConflict:
        pass  # a result arrived meanwhile


# --- results ----------------------------------------------------------------------------------------


def complete(adapters: Adapters, pack: Pack, action_id: str, name: str, payload: Any, created_at: datetime | None) -> Action:
    """Record a pack's result for an action it may complete.

    Raises NotFound when there is no such action, NotAllowed when the pack's name or labels do not
    match it, StateConflict when it is not PENDING (never taken, or finished already).
    """
    action = found(adapters.actions_table.get(action_id), f"No action {action_id!r}.")
    if action.pack_name != pack.name or not labels_include(pack.labels, action.pack_labels):
        raise NotAllowed(
            f"Action {action_id} is for pack {action.pack_name!r} with labels {action.pack_labels}; "
            f"pack {pack.id!r} may not complete it."
        )
    result = new_event(name, pack.id, pack.name, pack.labels, payload, created_at, action_id=action.id)
    try:
        if action.state != "PENDING":
            raise StateConflict(action_id)
        finished = adapters.actions_table.finish(action, result)
    except StateConflict:
        current = adapters.actions_table.get(action_id)  # the state that stopped it, read once more to say which
        state = current.state if current else None
        raise StateConflict(
            f"Action {action_id} is {state or 'gone'}, not PENDING: only a taken action takes a result, and only once.",
            state=state,
        ) from None
    if action.claim_queue_url and action.claim_receipt:
        adapters.action_queues.delete(action.claim_queue_url, action.claim_receipt)
    logger.info("action finished", extra={"actionId": action.id, "state": finished.state, "packId": pack.id})
    return finished
