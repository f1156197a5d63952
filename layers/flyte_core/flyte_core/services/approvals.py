"""The life of an approval in chat (issue 27; the rules are domain/approvals.py).

- `started`: a step with `approval` stored its action in state APPROVAL; the question (the chat
  pack's `SendRichMessage`, delivered as any action) is made from the stored action. The timer is one message on the
  shared delivery queue, delayed (at most SQS's 15 min) and then hidden until the approval is due,
  as a lease is kept: the delivery function hands it to `due`.
- `answered`: a click (the chat pack's `ReceivedInteraction` naming the action) is judged and
  recorded once per chat user; enough approvals release the action to its pack, a counted deny ends it
  FATAL `denied`. Every recorded answer is answered in the thread, a refused one with the reason.
- `due`: the timer came back; an action still waiting ends FATAL `expired`.

Answers in the thread are actions of the chat pack in the same execution (`SendMessage`), with ids
derived from their cause, so a redelivered event asks and answers once.
"""

from __future__ import annotations

from typing import Any, cast

from ..adapters import Adapters
from ..domain import approvals, ids, times
from ..domain.actions import Action, PlannedAction
from ..domain.errors import StateConflict
from ..domain.events import FATAL, Event, new_event
from ..domain.execution import ClaimsOf, action_id_for
from ..observability import logger
from .pipeline import deliver

MAX_DELAY_SECONDS = 900  # SQS's longest message delay


def started(adapters: Adapters, action: Action, trigger: Event) -> None:
    """Ask in chat and start the timer (again after a redelivered event: the question's id derives
    from the action, and a second timer finds the approval settled). The question shows the input
    as stored, so what the store masks (a `secret()`) is masked in chat too."""
    assert action.approval is not None
    command = {"packName": action.pack_name, "name": action.name, "input": action.input}
    step_id = action.step_id + approvals.ASK_SUFFIX
    asked, _ = adapters.actions_table.create(
        PlannedAction(
            id=action_id_for(action.correlation_id, step_id),
            step_id=step_id,
            name=approvals.ASK_COMMAND,
            pack_name=action.approval["packName"],
            pack_labels={},
            input=approvals.question(action.id, action.step_id, action.flow_name, command, action.approval),
            context=action.context,
            correlation_id=action.correlation_id,
            flow_name=action.flow_name,
            flow_uuid=action.flow_uuid,
            trigger=trigger,
        )
    )
    if asked.state == "NEW":
        deliver(adapters, asked.id, asked.name, asked.pack_name, asked.pack_labels)
    remaining = (times.parse_time(action.approval["expiresAt"]) - times.now()).total_seconds()
    if not adapters.settings.delivery_queue_url:
        logger.warning("no delivery queue: the approval expires when next answered", extra={"actionId": action.id})
        return
    adapters.delivery_queue.send_timer(action.id, min(MAX_DELAY_SECONDS, max(0, int(remaining) + 1)))
    logger.info("approval asked in chat", extra={"actionId": action.id, "expiresAt": action.approval["expiresAt"]})


def due(adapters: Adapters, action_id: str) -> float:
    """The timer of an approval came back: end it `expired` when due. Returns the seconds until it is
    due (0: settled, the timer message is done)."""
    action = adapters.actions_table.get(action_id)
    if action is None or action.state != approvals.WAITING or action.approval is None:
        return 0
    remaining = (times.parse_time(action.approval["expiresAt"]) - times.now()).total_seconds()
    if remaining > 0:
        return remaining
    _expire(adapters, action)
    return 0


def answered(adapters: Adapters, event: Event, claims_of: ClaimsOf) -> bool:
    """If the event is a click on an approval's button, judge and record it; True when it was one.

    A redelivered click (the stream's at-least-once) finds its answer recorded and only finishes
    what the first attempt may not have: the release and its delivery, or the end after a deny."""
    answer = approvals.parse_answer(event)
    if answer is None:
        return False
    action = adapters.actions_table.get(answer.action_id)
    if action is None or action.approval is None:
        logger.warning("a click names no approval", extra={"actionId": answer.action_id, "eventId": event.id})
        return True
    if action.state == "NEW":  # released: offer it again in case that attempt stopped before (a take resolves copies)
        deliver(adapters, action.id, action.name, action.pack_name, action.pack_labels)
        return True
    if action.state != approvals.WAITING:
        logger.info("a click on an approval already settled", extra={"actionId": action.id, "state": action.state})
        return True
    if times.parse_time(action.approval["expiresAt"]) <= times.now():
        _expire(adapters, action)
        return True
    reason = approvals.refusal(action.approval, answer, claims_of(event))
    entry = approvals.timeline_entry(answer, event.received_at, reason)
    recorded = adapters.actions_table.record_answer(action.id, answer.user or f"event:{event.id}", entry, reason is None)
    who = f"<@{answer.user}>" if answer.user else "someone"
    if recorded is None:
        logger.info(
            "an answer recorded before (a retry or a second click)", extra={"actionId": action.id, "chatUser": answer.user}
        )
        current = adapters.actions_table.get(action.id)
        if current is not None and current.state == approvals.WAITING:
            _settle(adapters, current, event, who, fresh=False)
        return True
    logger.info(
        "approval answered",
        extra={
            "actionId": action.id,
            "chatUser": answer.user,
            "approve": answer.approve,
            "counts": reason is None,
            "reason": reason,
        },
    )
    if reason is not None:
        _say(adapters, recorded, event, f"{who}: your answer does not count ({reason}).")
    else:
        _settle(adapters, recorded, event, who, fresh=True)
    return True


def _settle(adapters: Adapters, action: Action, event: Event, who: str, fresh: bool) -> None:
    """Decide from the answers recorded: a counted deny ends it, enough approvals release it."""
    assert action.approval is not None
    denial = next((s for s in action.states if s.get("value") == "DENIED" and s.get("counts")), None)
    needed = int(action.approval["approvers"])
    if denial is not None:
        by = cast(dict[str, Any], denial.get("by") or {})  # the states' entries hold maps as well as strings
        _end(adapters, action, approvals.DENIED, f"Denied in chat by {by.get('chatUser')}.", by, event)
    elif action.approvals >= needed:
        if adapters.actions_table.release(action):
            deliver(adapters, action.id, action.name, action.pack_name, action.pack_labels)
            command = f"*{action.pack_name}.{action.name}*"
            _say(adapters, action, event, f"Approved by {who} ({action.approvals} of {needed}): running {command}.")
    elif fresh:
        more = needed - action.approvals
        _say(adapters, action, event, f"Approved by {who} ({action.approvals} of {needed}); waiting for {more} more.")


def _expire(adapters: Adapters, action: Action) -> None:
    timeout = action.approval["timeout"] if action.approval else 0
    detail = f"Not approved within {timeout} s (approval.timeout)."
    _end(adapters, action, approvals.EXPIRED, detail, None, None)


def _end(adapters: Adapters, action: Action, reason: str, detail: str, by: dict | None, cause: Event | None) -> None:
    """End a waiting action FATAL with the reason; its result event continues the flow as any FATAL."""
    result_id = ids.derived_id(times.now().timestamp(), "approval-end", action.id)
    result = new_event(
        FATAL,
        "",
        action.pack_name,
        action.pack_labels,
        approvals.fatal_payload(reason, detail, by),
        action_id=action.id,
        event_id=result_id,
    )
    try:
        ended = adapters.actions_table.finish(action, result)
    except StateConflict:
        return  # settled meanwhile (released, or ended by another answer or the timer)
    logger.info("approval ended", extra={"actionId": action.id, "reason": reason})
    _say(adapters, ended, cause, f"Not running *{action.pack_name}.{action.name}*: {detail}")


def _say(adapters: Adapters, action: Action, cause: Event | None, message: str) -> None:
    """Answer in the approval's thread: a `SendMessage` of the chat pack in the same execution."""
    assert action.approval is not None
    because = cause.id if cause is not None else "expiry"
    step_id = f"{action.step_id}{approvals.ASK_SUFFIX}:{because}"
    trigger = cause or new_event(
        "ApprovalExpired",
        "",
        action.pack_name,
        {},
        {"actionId": action.id},
        event_id=ids.derived_id(_at(action), "expiry", action.id),
    )
    planned = PlannedAction(
        id=ids.derived_id(_at(action), "approval-reply", action.id, because),
        step_id=step_id,
        name=approvals.REPLY_COMMAND,
        pack_name=action.approval["packName"],
        pack_labels={},
        input=approvals.reply(action.approval, message),
        context=action.context,
        correlation_id=action.correlation_id,
        flow_name=action.flow_name,
        flow_uuid=action.flow_uuid,
        trigger=trigger,
    )
    stored, _ = adapters.actions_table.create(planned)
    if stored.state == "NEW":
        deliver(adapters, stored.id, stored.name, stored.pack_name, stored.pack_labels)


def _at(action: Action) -> float:
    return float(int(action.correlation_id[:8], 16))  # as the execution's other action ids
