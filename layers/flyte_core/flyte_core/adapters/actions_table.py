"""Actions in the actions table: conditional creation, the NEW -> PENDING -> SUCCESS|FATAL state
machine as conditional updates, and the queries of continuation, delivery and audit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain import times
from ..domain.actions import Action
from ..domain.errors import StateConflict
from ..domain.events import FATAL, Event
from ..domain.execution import PlannedAction, StepFailure
from ..settings import settings
from . import events_table
from .aws import pynamodb_connection
from .models import ActionModel, EventModel

# Step failures share the table (and the by-correlation index) with actions; recordType tells them apart.
ACTION, STEP_FAILURE = "action", "stepFailure"


def _to_action(model: ActionModel) -> Action:
    return Action(id=model.id, name=model.name, pack_name=model.packName,
                  pack_labels=model.packLabels.as_dict() if model.packLabels else {}, input=model.input,
                  state=model.state, state_time=model.stateTime, states=[_plain(entry) for entry in model.states or []],
                  correlation_id=model.correlationId, flow_name=model.flowName, flow_uuid=model.flowUUID,
                  step_id=model.stepId, context=model.context.as_dict() if model.context else {},
                  trigger=model.trigger, result=model.result, attempts=int(model.attempts or 0),
                  lease_expires_at=model.leaseExpiresAt, claim_queue_url=model.claimQueueUrl,
                  claim_receipt=model.claimReceipt)


def _to_step_failure(model: ActionModel) -> StepFailure:
    error = model.error or {}  # {stepId, field, message}; older records kept a made-up stepId attribute
    return StepFailure(id=model.id, step_id=error.get("stepId", model.stepId), field=error.get("field", ""),
                       message=error.get("message", ""), correlation_id=model.correlationId, flow_name=model.flowName,
                       flow_uuid=model.flowUUID, trigger=model.trigger, time=model.stateTime)


def _plain(entry: Any) -> dict[str, Any]:
    return entry.as_dict() if hasattr(entry, "as_dict") else dict(entry)


def _state(value: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {"value": value, "time": times.format_time(at), **extra}


def _expiry(at: datetime) -> datetime:
    return at + timedelta(seconds=settings().ttl_seconds)


def create(planned: PlannedAction) -> tuple[Action, bool]:
    """Store a planned action unless its step already has one in this execution.

    Returns (the stored action, True if this call created it). The action id is derived from the
    execution and the step, so the condition is what guarantees one action per step per execution.
    """
    now = times.now()
    model = ActionModel(
        planned.id, recordType=ACTION, name=planned.name, packName=planned.pack_name, packLabels=planned.pack_labels,
        input=planned.input, state="NEW", stateTime=now, states=[_state("NEW", now)],
        correlationId=planned.correlation_id, flowName=planned.flow_name, flowUUID=planned.flow_uuid,
        stepId=planned.step_id, context=planned.context, trigger=planned.trigger.as_json(), attempts=0,
        waitingPack=planned.pack_name, createdAt=now, expiresAt=_expiry(now))
    try:
        model.save(condition=ActionModel.id.does_not_exist())
        return _to_action(model), True
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    return get(planned.id), False


def record_step_failure(failure: StepFailure) -> None:
    """Keep a step that failed to render in the execution's audit (idempotent per event)."""
    model = ActionModel(
        failure.id, recordType=STEP_FAILURE, name="", packName="", state="FAILED", stateTime=failure.time,
        states=[_state("FAILED", failure.time)], correlationId=failure.correlation_id, flowName=failure.flow_name,
        flowUUID=failure.flow_uuid, stepId=failure.step_id, trigger=failure.trigger,
        error={"stepId": failure.step_id, "field": failure.field, "message": failure.message},
        createdAt=failure.time, expiresAt=_expiry(failure.time))
    try:
        model.save(condition=ActionModel.id.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def get(action_id: str) -> Action | None:
    try:
        model = ActionModel.get(action_id, consistent_read=True)
    except DoesNotExist:
        return None
    return _to_action(model) if (model.recordType or ACTION) == ACTION else None


def execution_records(correlation_id: str) -> tuple[list[Action], list[StepFailure]]:
    """Everything one execution left: its actions and its step failures (one index query)."""
    actions, failures = [], []
    for model in ActionModel.by_correlation.query(correlation_id):
        if (model.recordType or ACTION) == ACTION:
            actions.append(_to_action(model))
        else:
            failures.append(_to_step_failure(model))
    return actions, failures


def in_execution(correlation_id: str) -> list[Action]:
    """The actions of one execution."""
    return execution_records(correlation_id)[0]


def waiting_for(pack_name: str) -> Iterator[Action]:
    """Unfinished actions of a pack name, oldest first."""
    return (_to_action(model) for model in ActionModel.waiting.query(pack_name))


def claim(action_id: str, pack_id: str, queue_url: str, receipt: str, command: str | None = None,
          expired: Action | None = None) -> Action:
    """Take an action: NEW -> PENDING, or (`expired` given) PENDING whose lease ran out -> PENDING
    for one more attempt. Conditional on the state (and command, and attempt count), so exactly one
    taker wins; the common case needs no read first. Raises StateConflict otherwise."""
    now = times.now()
    attempt = expired.attempts + 1 if expired else 1
    if expired:
        condition = (ActionModel.state == "PENDING") & (ActionModel.attempts == expired.attempts)
    else:
        condition = ActionModel.state == "NEW"
    if command:
        condition &= ActionModel.name == command
    model = ActionModel(action_id)
    try:
        model.update(actions=[
            ActionModel.state.set("PENDING"), ActionModel.stateTime.set(now), ActionModel.attempts.set(attempt),
            ActionModel.states.set(ActionModel.states.append([_state("PENDING", now, attempt=attempt, packId=pack_id)])),
            ActionModel.leaseExpiresAt.set(now + timedelta(seconds=settings().action_lease_seconds)),
            ActionModel.claimQueueUrl.set(queue_url), ActionModel.claimReceipt.set(receipt),
            ActionModel.expiresAt.set(_expiry(now)),
        ], condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise StateConflict(action_id) from None
        raise
    return _to_action(model)


def finish(action: Action, result: Event) -> Action:
    """PENDING -> SUCCESS (or FATAL for a `FATAL` result), storing the result event in the same
    transaction: the action never ends without the event that continues its execution."""
    now = result.received_at
    state = FATAL if result.name == FATAL else "SUCCESS"
    model = ActionModel(action.id)
    try:
        with TransactWrite(connection=pynamodb_connection()) as transaction:
            transaction.update(model, actions=[
                ActionModel.state.set(state), ActionModel.stateTime.set(now), ActionModel.result.set(result.as_json()),
                ActionModel.states.set(ActionModel.states.append([_state(state, now)])), ActionModel.waitingPack.remove(),
                ActionModel.leaseExpiresAt.remove(), ActionModel.expiresAt.set(_expiry(now)),
            ], condition=ActionModel.state == "PENDING")
            transaction.save(events_table.to_model(result), condition=EventModel.id.does_not_exist())
    except TransactWriteError as error:
        if error.cause_response_code == "TransactionCanceledException":
            raise StateConflict(action.id) from None
        raise
    return replace(action, state=state, state_time=now, result=result.as_json(), lease_expires_at=None,
                   states=[*action.states, _state(state, now)])


def pending_with_expired_lease(now: datetime) -> Iterable[Action]:
    """Taken actions whose lease ran out (a scan: the daily sweep only, never a request path)."""
    scan = ActionModel.scan((ActionModel.state == "PENDING") & (ActionModel.leaseExpiresAt < now))
    return (_to_action(model) for model in scan)


def audit_records(flow_name: str | None, step_id: str | None, action_name: str | None,
                  pack_name: str | None) -> Iterator[Action]:
    """Actions for the audit list, filtered by the fields given: by flow through its index,
    otherwise a paginated scan."""
    condition = ActionModel.recordType == ACTION
    for attribute, value in ((ActionModel.stepId, step_id), (ActionModel.name, action_name),
                             (ActionModel.packName, pack_name)):
        if value is not None:
            condition &= attribute == value
    if flow_name is not None:
        models = ActionModel.by_flow.query(flow_name, filter_condition=condition, scan_index_forward=False)
    else:
        models = ActionModel.scan(condition)
    return (_to_action(model) for model in models)
