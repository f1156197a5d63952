"""What a step leaves in an execution: the action it plans, that action as stored - the command for a
pack, and where it is in its life (NEW -> PENDING -> SUCCESS | FATAL;
APPROVAL -> NEW once approved in chat, APPROVAL -> FATAL when denied or expired) - or the failure to evaluate it.
The records only: the rules that make them are `execution`'s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a type only: settings import this module, and need no event parsing
    from .events import Event

MAX_TAKE_WAIT_SECONDS = 20  # a take's long poll; SQS waits at most 20 s
TERMINAL = frozenset({"SUCCESS", "FATAL"})  # an action in one of these is finished


@dataclass(frozen=True)
class PlannedAction:
    """An action a step fired, before it is stored (its id derives from the execution and the step)."""

    id: str
    step_id: str
    name: str
    pack_name: str
    pack_labels: dict[str, str]
    input: Any
    context: dict[str, str]
    correlation_id: str
    flow_name: str
    flow_uuid: str
    trigger: Event
    secret_refs: list[dict[str, Any]] | None = None  # where the input holds secret masks (issue 24)
    approval: dict[str, Any] | None = None  # issue 27: stored waiting for approval in chat, not offered to packs


@dataclass
class Action:
    id: str
    name: str
    pack_name: str
    pack_labels: dict[str, str]
    input: Any
    state: str
    state_time: datetime
    states: list[dict[str, str]]
    correlation_id: str
    flow_name: str
    flow_uuid: str
    step_id: str
    context: dict[str, str]
    trigger: dict[str, Any] | None
    result: dict[str, Any] | None
    attempts: int = 0
    lease_expires_at: datetime | None = None
    claim_queue_url: str | None = None
    claim_receipt: str | None = None
    taken_by: dict[str, str] | None = None  # who holds (or last held) the claim
    claim_token: str | None = None  # the claim that holds (or last held) it: a retried claim recognises its own
    result_token: str | None = None  # the result request that finished it: a repeat recognises its own
    secret_refs: list[dict[str, Any]] | None = None  # where the input holds secret masks (domain.secrets)
    approval: dict[str, Any] | None = None  # issue 27: its approval in chat (rules, where it asked, who asked)
    answered_by: list[str] | None = None  # the chat users whose answer is recorded (each counted once)
    approvals: int = 0  # the approvals that count


@dataclass(frozen=True)
class StepFailure:
    """A step whose templates could not be evaluated: skipped, and kept in the execution's audit."""

    id: str
    step_id: str
    field: str
    message: str
    correlation_id: str
    flow_name: str
    flow_uuid: str
    trigger: dict[str, Any]  # the event that reached the step, as the audit shows events
    time: datetime  # the trigger's arrival: a redelivered event records the very same failure
