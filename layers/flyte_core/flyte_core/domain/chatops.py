"""Who may do what from chat (issue 27), as a flow declares it on a step - pure rules:

    actor: {groups: [sre]}           # who may start the step: the policy's claims language
    denied:                          # optional: the command run instead when the actor may not
      packName: Slack
      name: SendMessage
      input: {channelId: ..., message: "Sorry {{ Event.Payload.user.name }}"}
    approval:                        # the command runs only once approved in chat
      approvers: 1                   # distinct approvers needed (default 1)
      claims: {groups: [sre]}        # what an approver needs (default: the step's actor claims)
      selfApproval: false            # may the requester approve their own request (default never)
      timeout: 30m                   # s, m or h; default 1h, at most 12h; then FATAL `expired`
      packName: Slack                # the chat pack asked (default: the pack of the triggering event)
      channel: "{{ Event.Payload.channelId }}"        # where it asks (these defaults: the Slack
      thread: "{{ Event.Payload.threadTimestamp }}"   # pack's ReceivedMessage)

A step whose actor does not satisfy `actor` is skipped with the reason `actor` (and fires `denied`
if it has one); a step with `approval` stores its action waiting for approval and asks in chat
(`services/approvals.py`), which either releases the action to its pack or ends it FATAL with the
reason `denied` or `expired`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .claims import claims_satisfied, describe, parse_claims
from .errors import InvalidInput

DEFAULT_TIMEOUT_SECONDS = 3600
MAX_TIMEOUT_SECONDS = 12 * 3600  # an SQS message hides for at most 12 h: one timer message
MAX_APPROVERS = 10
DEFAULT_CHANNEL = "{{ Event.Payload.channelId }}"
DEFAULT_THREAD = "{{ Event.Payload.threadTimestamp }}"
APPROVAL_KEYS = ("approvers", "claims", "selfApproval", "timeout", "packName", "channel", "thread")
_TIMEOUT = re.compile(r"^(\d+)\s*([smh]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def _invalid(field: str, step_id: str) -> Any:
    def error(message: str) -> InvalidInput:
        return InvalidInput(message, field=field, stepId=step_id)

    return error


def parse_timeout(value: Any, field: str, step_id: str) -> int:
    """`90`, `90s`, `30m`, `2h` -> seconds, within 1 s .. 12 h."""
    match = _TIMEOUT.match(str(value).strip()) if isinstance(value, int | str) and not isinstance(value, bool) else None
    seconds = int(match.group(1)) * _UNITS[match.group(2)] if match else 0
    if not 0 < seconds <= MAX_TIMEOUT_SECONDS:
        raise InvalidInput(
            f"{field} must be a duration from 1s to 12h, such as 90s, 30m or 2h; got {value!r}.", field=field, stepId=step_id
        )
    return seconds


def normalise_rules(step: Mapping[str, Any], where: str, step_id: str, command: Any) -> dict[str, Any]:
    """The `actor`, `denied` and `approval` of a step, checked and normalised (absent ones left out).
    `command` normalises a command object (flows.py's, so `denied` is a command like any other)."""
    out: dict[str, Any] = {}
    actor: dict[str, tuple[str, ...]] = {}
    if step.get("actor") not in (None, {}):
        actor = parse_claims(step["actor"], f"{where}.actor", _invalid(f"{where}.actor", step_id))
        out["actor"] = {name: list(values) for name, values in actor.items()}
    if step.get("denied") is not None:
        if not actor:
            raise InvalidInput(
                f"{where}.denied runs when the actor may not start the step: give the step an 'actor'.",
                field=f"{where}.denied",
                stepId=step_id,
            )
        out["denied"] = command(step["denied"])
    approval = step.get("approval")
    if approval is not None:
        out["approval"] = _approval(approval, f"{where}.approval", step_id, actor)
    return out


def _approval(value: Any, where: str, step_id: str, actor: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be a map ({', '.join(APPROVAL_KEYS)}).", field=where, stepId=step_id)
    unknown = sorted(str(key) for key in value if key not in APPROVAL_KEYS)
    if unknown:
        raise InvalidInput(
            f"{where}: unknown key {unknown[0]!r} (an approval has {', '.join(APPROVAL_KEYS)}).",
            field=f"{where}.{unknown[0]}",
            stepId=step_id,
        )
    approvers = value.get("approvers", 1)
    if isinstance(approvers, bool) or not isinstance(approvers, int) or not 1 <= approvers <= MAX_APPROVERS:
        raise InvalidInput(
            f"{where}.approvers must be a whole number from 1 to {MAX_APPROVERS}.", field=f"{where}.approvers", stepId=step_id
        )
    claims = parse_claims(value.get("claims"), f"{where}.claims", _invalid(f"{where}.claims", step_id)) or dict(actor)
    if not claims:
        raise InvalidInput(
            f"{where}.claims must say who may approve (or give the step an 'actor' to use its claims).",
            field=f"{where}.claims",
            stepId=step_id,
        )
    self_approval = value.get("selfApproval", False)
    if not isinstance(self_approval, bool):
        raise InvalidInput(f"{where}.selfApproval must be true or false.", field=f"{where}.selfApproval", stepId=step_id)
    for key in ("packName", "channel", "thread"):
        if key in value and (not isinstance(value[key], str) or not value[key]):
            raise InvalidInput(f"{where}.{key} must be a non-empty string.", field=f"{where}.{key}", stepId=step_id)
    rules: dict[str, Any] = {
        "approvers": approvers,
        "claims": {name: list(values) for name, values in claims.items()},
        "selfApproval": self_approval,
        "timeout": parse_timeout(value.get("timeout", DEFAULT_TIMEOUT_SECONDS), f"{where}.timeout", step_id),
        "channel": value.get("channel", DEFAULT_CHANNEL),
        "thread": value.get("thread", DEFAULT_THREAD),
    }
    if value.get("packName"):
        rules["packName"] = value["packName"]
    return rules


def template_fields(step: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The templates of a step's approval (where it asks)."""
    approval = step.get("approval")
    return [(f"approval.{key}", approval[key]) for key in ("channel", "thread")] if approval else []


def actor_refusal(step: Mapping[str, Any], claims: Mapping[str, Any] | None) -> str | None:
    """Why the event's actor may not start the step (None: it may, or the step does not say)."""
    required = {name: tuple(values) for name, values in (step.get("actor") or {}).items()}
    if not required:
        return None
    if claims is None:
        return f"the step is for {describe(required)}; the event has no chat actor (a chat pack's person)"
    if claims_satisfied(required, claims):
        return None
    return f"the step is for {describe(required)}; chat user {claims.get('chat_user')!r} has none of these claims"
