"""Actions in the actions table: conditional creation, the NEW -> PENDING -> SUCCESS|FATAL state
machine as conditional updates, and the queries of continuation, delivery and audit."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from ..domain import times
from ..domain.actions import TERMINAL, Action, PlannedAction, StepFailure
from ..domain.approvals import WAITING as WAITING_APPROVAL
from ..domain.errors import StateConflict
from ..domain.events import FATAL, Event
from ..settings import Settings
from .aws import Aws
from .conditions import attempt_token, settled, written
from .events_table import EventsTable
from .indexes import backfill_keys, if_index_ready, newest_across_shards, time_shard
from .models import ActionModel

# Step failures share the table (and the by-correlation index) with actions; recordType tells them apart.
ACTION, STEP_FAILURE = "action", "stepFailure"
# Keys of one flow in byFlowShard (issue 21): each takes up to 1,000 writes a second, and an action is
# written to it once, so four keep one flow's 1,000 executions a second (two actions each) at half that.
FLOW_SHARDS = 4


def flow_shard(flow_name: str, correlation_id: str) -> str:
    """The byFlowShard key of an action: its flow and a shard chosen by its execution."""
    return f"{flow_name}#{zlib.crc32(correlation_id.encode()) % FLOW_SHARDS}"


def _to_action(model: ActionModel) -> Action:
    return Action(
        id=model.id,
        name=model.name,
        pack_name=model.packName,
        pack_labels=model.packLabels.as_dict() if model.packLabels else {},
        input=model.input,
        state=model.state,
        state_time=model.stateTime,
        states=[_plain(entry) for entry in model.states or []],
        correlation_id=model.correlationId,
        flow_name=model.flowName,
        flow_uuid=model.flowUUID,
        step_id=model.stepId,
        context=model.context.as_dict() if model.context else {},
        trigger=model.trigger,
        result=model.result,
        attempts=int(model.attempts or 0),
        lease_expires_at=model.leaseExpiresAt,
        claim_queue_url=model.claimQueueUrl,
        claim_receipt=model.claimReceipt,
        taken_by=model.takenBy,
        claim_token=model.claimToken,
        result_token=model.resultToken,
        secret_refs=model.secretRefs,
        approval=model.approval,
        answered_by=list(model.answeredBy or []),
        approvals=int(model.approvals or 0),
    )


def _to_step_failure(model: ActionModel) -> StepFailure:
    error = model.error or {}  # {stepId, field, message}; older records kept a made-up stepId attribute
    return StepFailure(
        id=model.id,
        step_id=error.get("stepId", model.stepId),
        field=error.get("field", ""),
        message=error.get("message", ""),
        correlation_id=model.correlationId,
        flow_name=model.flowName,
        flow_uuid=model.flowUUID,
        trigger=model.trigger,
        time=model.stateTime,
    )


def finished_by(action: Action, result_id: str, token: str) -> bool:
    """Whether the action ended with this result event, posted by the request with this token."""
    return action.state in TERMINAL and (action.result or {}).get("id") == result_id and action.result_token == token


def _plain(entry: Any) -> dict[str, Any]:
    return entry.as_dict() if hasattr(entry, "as_dict") else dict(entry)


def _state(value: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {"value": value, "time": times.format_time(at), **extra}


class ActionsTable:
    def __init__(self, model: type[ActionModel], events_table: EventsTable, aws: Aws, settings: Settings) -> None:
        self.model = model
        self._events_table = events_table
        self._aws = aws
        self._retention = timedelta(seconds=settings.ttl_seconds)
        self._lease = timedelta(seconds=settings.action_lease_seconds)

    def _expiry(self, at: datetime) -> datetime:
        return at + self._retention

    def create(self, planned: PlannedAction) -> tuple[Action, bool]:
        """Store a planned action unless its step already has one in this execution.

        Returns (the stored action, True if this call created it). The action id is derived from the
        execution and the step, so the condition is what guarantees one action per step per execution.
        """
        now = times.now()
        # issue 27: an action waiting for approval in chat is offered to no pack (not in the waiting index)
        state = WAITING_APPROVAL if planned.approval else "NEW"
        model = self.model(
            planned.id,
            recordType=ACTION,
            name=planned.name,
            packName=planned.pack_name,
            packLabels=planned.pack_labels,
            input=planned.input,
            secretRefs=planned.secret_refs,
            state=state,
            stateTime=now,
            states=[_state(state, now)],
            correlationId=planned.correlation_id,
            flowName=planned.flow_name,
            flowUUID=planned.flow_uuid,
            stepId=planned.step_id,
            context=planned.context,
            trigger=planned.trigger.as_json(),
            attempts=0,
            waitingPack=None if planned.approval else planned.pack_name,
            approval=planned.approval,
            answeredBy=[] if planned.approval else None,
            approvals=0 if planned.approval else None,
            flowShard=flow_shard(planned.flow_name, planned.correlation_id),
            timeShard=time_shard(planned.id),
            createdAt=now,
            expiresAt=self._expiry(now),
        )
        if written(lambda: model.save(condition=self.model.id.does_not_exist())):
            return _to_action(model), True
        existing = self.get(planned.id)
        if existing is None:  # the racing one expired between the write and this read: write it again
            return self.create(planned)
        return existing, False

    def record_step_failure(self, failure: StepFailure) -> None:
        """Keep a step that failed to render in the execution's audit (idempotent per event)."""
        model = self.model(
            failure.id,
            recordType=STEP_FAILURE,
            name="",
            packName="",
            state="FAILED",
            stateTime=failure.time,
            states=[_state("FAILED", failure.time)],
            correlationId=failure.correlation_id,
            flowName=failure.flow_name,
            flowUUID=failure.flow_uuid,
            stepId=failure.step_id,
            trigger=failure.trigger,
            error={"stepId": failure.step_id, "field": failure.field, "message": failure.message},
            createdAt=failure.time,
            expiresAt=self._expiry(failure.time),
        )
        written(lambda: model.save(condition=self.model.id.does_not_exist()))  # already recorded: nothing to do

    def get(self, action_id: str) -> Action | None:
        try:
            model = self.model.get(action_id, consistent_read=True)
        except DoesNotExist:
            return None
        return _to_action(model) if (model.recordType or ACTION) == ACTION else None

    def execution_records(self, correlation_id: str) -> tuple[list[Action], list[StepFailure]]:
        """Everything one execution left: its actions and its step failures (one index query)."""
        actions, failures = [], []
        for model in self.model.by_correlation.query(correlation_id):
            if (model.recordType or ACTION) == ACTION:
                actions.append(_to_action(model))
            else:
                failures.append(_to_step_failure(model))
        return actions, failures

    def in_execution(self, correlation_id: str) -> list[Action]:
        """The actions of one execution."""
        return self.execution_records(correlation_id)[0]

    def waiting_for(self, pack_name: str) -> Iterator[Action]:
        """Unfinished actions of a pack name, oldest first."""
        return (_to_action(model) for model in self.model.waiting.query(pack_name))

    def claim(
        self,
        action_id: str,
        pack_id: str,
        queue_url: str,
        receipt: str,
        taker: dict[str, str],
        command: str | None = None,
        expired: Action | None = None,
    ) -> tuple[bool, Action | None]:
        """Take an action: NEW -> PENDING, or (`expired` given) PENDING whose lease ran out -> PENDING
        for one more attempt. Conditional on the state (and command, and attempt count), so exactly one
        taker wins; the common case needs no read first.

        Returns (won, the action): the claimed action when this claim won - also when its reply was
        lost and the retry found the action PENDING under this claim's own token, so a lost reply
        never costs a lease or an attempt; otherwise the action as it is now (None: gone)."""
        now = times.now()
        attempt = expired.attempts + 1 if expired else 1
        token = attempt_token()
        actions = self.model
        if expired:
            condition = (actions.state == "PENDING") & (actions.attempts == expired.attempts)
        else:
            condition = actions.state == "NEW"
        if command:
            condition &= actions.name == command
        model = actions(action_id)
        current: list[Action | None] = []

        def own() -> bool:
            current.append(self.get(action_id))
            found = current[0]
            return found is not None and found.state == "PENDING" and found.claim_token == token

        if settled(
            lambda: model.update(
                actions=[
                    actions.state.set("PENDING"),
                    actions.stateTime.set(now),
                    actions.attempts.set(attempt),
                    actions.states.set(
                        actions.states.append([_state("PENDING", now, attempt=attempt, packId=pack_id, by=taker)])
                    ),
                    actions.takenBy.set(taker),
                    actions.claimToken.set(token),
                    actions.leaseExpiresAt.set(now + self._lease),
                    actions.claimQueueUrl.set(queue_url),
                    actions.claimReceipt.set(receipt),
                    actions.expiresAt.set(self._expiry(now)),
                ],
                condition=condition,
            ),
            own,
        ):
            return True, current[0] if current else _to_action(model)
        return False, current[0]

    def record_answer(self, action_id: str, chat_user: str, entry: dict[str, Any], counts: bool) -> Action | None:
        """Keep a chat user's answer to an approval on its action (the states list: audit and timeline),
        once per chat user: a Slack retry or a second click finds it recorded (None). Counted answers
        add to `approvals`. Conditional on the action still waiting, so no answer lands after the end."""
        actions = self.model
        model = actions(action_id)
        updates: list[Any] = [
            actions.states.set(actions.states.append([entry])),
            actions.answeredBy.set(actions.answeredBy.append([chat_user])),
        ]
        if counts:
            updates.append(actions.approvals.add(1))
        condition = (actions.state == WAITING_APPROVAL) & ~actions.answeredBy.contains(chat_user)
        if not written(lambda: model.update(actions=updates, condition=condition)):
            return None
        return _to_action(model)

    def release(self, action: Action) -> bool:
        """APPROVAL -> NEW once approved: into the waiting index, to be offered to its pack. False when
        it was released (or ended) already."""
        now = times.now()
        actions = self.model
        return written(
            lambda: actions(action.id).update(
                actions=[
                    actions.state.set("NEW"),
                    actions.stateTime.set(now),
                    actions.states.set(actions.states.append([_state("NEW", now, approvals=action.approvals)])),
                    actions.waitingPack.set(action.pack_name),
                ],
                condition=actions.state == WAITING_APPROVAL,
            )
        )

    def finish(self, action: Action, result: Event, token: str | None = None) -> Action:
        """PENDING (or APPROVAL, issue 27) -> SUCCESS (or FATAL for a `FATAL` result), storing the result event in the same
        transaction: the action never ends without the event that continues its execution.

        `token` names the request (a fresh one by default). When the transaction's reply was lost and
        its retry fails its condition, the action already finished with this very result event and
        token means it was this transaction: the finished action is returned. StateConflict otherwise."""
        now = result.received_at
        token = token or attempt_token()
        from_state = WAITING_APPROVAL if action.state == WAITING_APPROVAL else "PENDING"  # denied or expired (issue 27)
        state = FATAL if result.name == FATAL else "SUCCESS"
        ended = _state(state, now, **({"by": result.actor} if result.actor else {}))
        actions, events = self.model, self._events_table.model

        def transact() -> None:
            with TransactWrite(connection=self._aws.pynamodb_connection) as transaction:
                transaction.update(
                    actions(action.id),
                    actions=[
                        actions.state.set(state),
                        actions.stateTime.set(now),
                        actions.result.set(result.as_json()),
                        actions.resultToken.set(token),
                        actions.states.set(actions.states.append([ended])),
                        actions.waitingPack.remove(),
                        actions.leaseExpiresAt.remove(),
                        actions.expiresAt.set(self._expiry(now)),
                    ],
                    condition=actions.state == from_state,
                )
                transaction.save(self._events_table.to_model(result, token), condition=events.id.does_not_exist())

        current: list[Action | None] = []

        def own() -> bool:
            current.append(self.get(action.id))
            return current[0] is not None and finished_by(current[0], result.id, token)

        if not settled(transact, own):
            raise StateConflict(action.id)
        if current and current[0] is not None:
            return current[0]
        return replace(
            action,
            state=state,
            state_time=now,
            result=result.as_json(),
            lease_expires_at=None,
            states=[*action.states, ended],
        )

    def pending_with_expired_lease(self, now: datetime) -> Iterable[Action]:
        """Taken actions whose lease ran out, for the daily sweep: read from the sparse `waiting` index,
        which holds the unfinished actions only (issue 21: finished ones, nearly all of the table,
        are never read; they leave by TTL), never by a scan of the table."""
        scan = self.model.waiting.scan((self.model.state == "PENDING") & (self.model.leaseExpiresAt < now))
        return (_to_action(model) for model in scan)

    def audit_records(
        self, flow_name: str | None, step_id: str | None, action_name: str | None, pack_name: str | None
    ) -> tuple[Iterator[Action], bool]:
        """Actions for the audit list, filtered by the fields given, and whether they come newest
        state change first: by flow through its indexes; otherwise from byTime, newest first (each
        action with what the audit reads: correlation id, state time, pack labels), or a paginated
        scan while byTime is missing or still being built."""
        actions = self.model
        fields = None  # byTime holds actions only: their fields are all its filter
        for attribute, value in ((actions.stepId, step_id), (actions.name, action_name), (actions.packName, pack_name)):
            if value is not None:
                fields = (attribute == value) if fields is None else fields & (attribute == value)
        condition = actions.recordType == ACTION if fields is None else (actions.recordType == ACTION) & fields
        if flow_name is not None:
            return iter(self._of_flow(flow_name, condition)), False
        newest = self._newest_by_time(fields)
        if newest is not None:
            return newest, True
        return (_to_action(model) for model in actions.scan(condition)), False

    def _newest_by_time(self, condition: Any) -> Iterator[Action] | None:
        """Every action newest state change first, from byTime's keys merged; None when byTime is
        not usable. An execution of the quick start writes about 10 units to byTime (2 creations, 4
        state changes that each move an entry): 1,000 executions a second over all flows put 625 a
        second on each of its TIME_SHARDS keys (a key takes 1,000)."""
        by_time = self.model.by_time
        merged = newest_across_shards(
            lambda key: by_time.query(key, filter_condition=condition, scan_index_forward=False, page_size=100),
            lambda model: model.stateTime,
            "byTime",
        )
        return None if merged is None else (_to_action(model) for model in merged)

    def _of_flow(self, flow_name: str, condition: Any) -> list[Action]:
        """A flow's actions from byFlowShard (its keys, then the items), together with the retired
        byFlow while a stack still has it (records from before the upgrade that the backfill has not
        reached yet are only there); an index that is missing or still being built is skipped."""
        actions = self.model
        found: dict[str, ActionModel] = {}
        for model in _if_index_ready(lambda: actions.by_flow.query(flow_name, filter_condition=condition), "byFlow"):
            found[model.id] = model
        keys: list[str] = []
        for shard in range(FLOW_SHARDS):
            query = partial(actions.by_flow_shard.query, f"{flow_name}#{shard}", filter_condition=condition)
            keys += [model.id for model in _if_index_ready(query, "byFlowShard")]
        for model in actions.batch_get([key for key in dict.fromkeys(keys) if key not in found]):
            found[model.id] = model
        return [_to_action(model) for model in found.values()]


def backfill_flow_shards(actions: type[ActionModel]) -> int:
    """Give actions written before byFlowShard and byTime existed their keys there (the upgrade's
    backfill, scripts/backfill_flow_shards.py). Returns how many were updated."""
    return backfill_keys(
        actions,
        actions.flowShard.does_not_exist() | actions.timeShard.does_not_exist(),
        lambda model: [
            actions.flowShard.set(flow_shard(model.flowName, model.correlationId)),
            actions.timeShard.set(time_shard(model.id)),
        ],
        scan_condition=actions.recordType == ACTION,
    )


def _if_index_ready(query: Callable[[], Iterable[ActionModel]], index: str) -> list[ActionModel]:
    """A query's items; none when the index is not there (removed, or not yet created) or not yet
    built - an upgrade in progress (docs/scale.md)."""
    return if_index_ready(query, index) or []
