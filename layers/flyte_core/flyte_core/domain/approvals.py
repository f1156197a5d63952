"""Approvals in chat (issue 27), pure: what the engine asks in chat, how it reads an answer and how
an answer counts. The step's rules are `chatops`'s; the life of an approval is `services/approvals`.

- A step with `approval` fires into an action stored in state APPROVAL (offered to no pack), and
  the engine asks the chat pack (`SendRichMessage` in the requester's thread: the command, its stored
  input, who may answer, Approve/Deny buttons whose value is the waiting action's id).
- A click comes back as the chat pack's `ReceivedInteraction` event, with the clicker as its chat
  actor. It counts when the clicker has the approver claims and is not the requester (unless
  `selfApproval`); each chat user's answer is recorded once (Slack retries, double clicks). Enough
  approvals release the action (APPROVAL -> NEW, offered to its pack); one counted deny, or the
  timeout, ends it FATAL with the reason `denied` or `expired`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from . import times
from .claims import claims_satisfied, describe
from .events import Event

WAITING = "APPROVAL"  # the state of an action waiting for its approval
APPROVE, DENY = "flyte.approve", "flyte.deny"  # the buttons' Slack action ids
ANSWER_EVENT = "ReceivedInteraction"  # the chat pack's event for a button clicked
ASK_COMMAND, REPLY_COMMAND = "SendRichMessage", "SendMessage"  # the Slack pack's commands
ASK_SUFFIX = "#approval"  # step id of the question's action
DENIED, EXPIRED = "denied", "expired"
MAX_SHOWN_INPUT = 2500  # characters of the input a question shows (Slack's section text holds 3000)


def expires_at(timeout_seconds: int, asked_at: datetime) -> str:
    """When an approval asked at `asked_at` (its triggering event's arrival) expires."""
    return times.format_time(asked_at + timedelta(seconds=timeout_seconds))


def _who(actor: Mapping[str, Any] | None) -> str:
    return f"<@{actor['user']}>" if actor and actor.get("user") else "someone (no chat user)"


def question(
    action_id: str, step_id: str, flow_name: str, command: Mapping[str, Any], approval: Mapping[str, Any]
) -> dict[str, Any]:
    """The `SendRichMessage` input that asks for the approval: in the requester's thread, naming the
    command and its input as stored (a `secret()` is masked there), with Approve and Deny buttons."""
    shown = json.dumps(command.get("input"), indent=2, ensure_ascii=False, default=str)
    if len(shown) > MAX_SHOWN_INPUT:
        shown = shown[:MAX_SHOWN_INPUT] + "\n... (cut; the whole input is in the audit)"
    needed = approval["approvers"]
    who = describe({k: tuple(v) for k, v in approval["claims"].items()})
    self_rule = "" if approval["selfApproval"] else " other than the requester"
    until = approval["expiresAt"]
    text = (
        f"{_who(approval.get('requester'))} asks to run *{command['packName']}.{command['name']}* "
        f"(flow `{flow_name}`, step `{step_id}`) with input:\n```{shown}```\n"
        f"Needs {needed} approval{'s' if needed > 1 else ''} from {who}{self_rule}; expires at {until}."
    )
    buttons = [
        {
            "type": "button",
            "action_id": APPROVE,
            "style": "primary",
            "value": action_id,
            "text": {"type": "plain_text", "text": "Approve"},
        },
        {
            "type": "button",
            "action_id": DENY,
            "style": "danger",
            "value": action_id,
            "text": {"type": "plain_text", "text": "Deny"},
        },
    ]
    return {
        "channel": approval["channel"],
        "thread_ts": approval["thread"],
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "actions", "block_id": f"flyte-approval-{action_id}", "elements": buttons},
        ],
    }


def reply(approval: Mapping[str, Any], message: str) -> dict[str, Any]:
    """A `SendMessage` input answering in the approval's thread."""
    return {"channelId": approval["channel"], "threadTimestamp": approval["thread"], "message": message}


@dataclass(frozen=True)
class Answer:
    action_id: str  # the waiting action the button names
    approve: bool
    user: str  # the chat user who clicked ("" when the event has no accepted chat actor)
    email: str
    event_id: str


def parse_answer(event: Event) -> Answer | None:
    """The answer a chat pack's event carries, if it is a click on an approval's button."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    if event.name != ANSWER_EVENT or payload.get("actionId") not in (APPROVE, DENY) or not payload.get("value"):
        return None
    chat = (event.actor or {}).get("chat") or {}
    return Answer(
        str(payload["value"]), payload["actionId"] == APPROVE, chat.get("user") or "", chat.get("email") or "", event.id
    )


def refusal(approval: Mapping[str, Any], answer: Answer, claims: Mapping[str, Any] | None) -> str | None:
    """Why this answer counts for nothing (None: it counts)."""
    if not answer.user or claims is None:
        return "the click came without a chat user the engine accepts"
    requester = (approval.get("requester") or {}).get("user")
    if not approval["selfApproval"] and requester and requester == answer.user:
        return "the requester may not answer their own request"
    required = {name: tuple(values) for name, values in approval["claims"].items()}
    if not claims_satisfied(required, claims):
        return f"answering needs {describe(required)}"
    return None


def timeline_entry(answer: Answer, at: datetime, reason: str | None) -> dict[str, Any]:
    """The answer as the action's states list (the audit and the console's timeline) keeps it."""
    value = ("APPROVED" if answer.approve else "DENIED") if reason is None else "REFUSED"
    by = {"sub": answer.user or "unknown", "chatUser": answer.user, **({"email": answer.email} if answer.email else {})}
    entry: dict[str, Any] = {
        "value": value,
        "time": times.format_time(at),
        "by": by,
        "counts": reason is None,
        "eventId": answer.event_id,
    }
    if reason is not None:
        entry["reason"] = reason
        entry["answer"] = "approve" if answer.approve else "deny"
    return entry


def fatal_payload(reason: str, detail: str, by: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The payload of the FATAL that ends a denied or expired action (a flow reacts on `reason`)."""
    return {"reason": reason, "detail": detail, **({"by": dict(by)} if by else {})}
