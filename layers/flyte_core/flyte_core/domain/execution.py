"""The rules of flow execution (api-contract §5), as pure functions: which steps an event concerns in an
execution, and what evaluating one step makes of it. No AWS here; templates come in as a function."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import approvals, bounds, chatops, ids, secrets
from .actions import TERMINAL, PlannedAction, StepFailure
from .chat import event_chat_actor
from .events import Event
from .packs import labels_include

Render = Callable[[str, Mapping[str, Any]], str]
ParseBool = Callable[[str], bool]
ClaimsOf = Callable[[Event], Mapping[str, Any] | None]  # the claims of an event's chat actor (None: it has none)


@dataclass(frozen=True)
class Execution:
    """One run of one flow version: what its steps have done so far and the context to start from."""

    correlation_id: str
    flow_uuid: str
    flow: dict[str, Any]
    context: dict[str, str]
    step_states: dict[str, str]  # step id -> state of the action that step created


class StepError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def correlation_id_for(event: Event, flow_uuid: str) -> str:
    """The execution an event starts of a flow version: the same event always starts the same one."""
    return ids.derived_id(event.received_at.timestamp(), "correlation", event.id, flow_uuid)


def action_id_for(correlation_id: str, step_id: str) -> str:
    """One action per step per execution: the id itself enforces it (conditional put)."""
    return ids.derived_id(int(correlation_id[:8], 16), "action", correlation_id, step_id)


def failure_id_for(correlation_id: str, step_id: str, event_id: str) -> str:
    return ids.derived_id(int(correlation_id[:8], 16), "step-failure", correlation_id, step_id, event_id)


FIRED, SKIPPED = "fired", "skipped"


@dataclass(frozen=True)
class StepOutcome:
    """What evaluating one step made of an event: fired with a command, or skipped with the first
    check that stopped it (api-contract §5.3, then 5.4, in that order). The pipeline, dry runs, traces and
    replays all read this one value, so they cannot disagree."""

    id: str
    outcome: str
    reason: str | None = None  # event | alreadyRan | dependsOn | eventLabels | criteria | actor | template
    detail: str | None = None
    context: dict[str, str] | None = None  # the rendered context, once rendering got that far
    command: dict[str, Any] | None = None  # {packName, name, packLabels, input} when fired (or `denied`'s, for actor)
    error: StepError | None = field(default=None, compare=False)  # the template failure, for the audit
    # where the masked input holds secret references (issue 24): [{path, at: [[offset, name]]}]
    secret_refs: list[dict[str, Any]] | None = field(default=None, compare=False)
    approval: dict[str, Any] | None = None  # fired, but runs once approved in chat (domain/chatops.py)

    @property
    def fired(self) -> bool:
        return self.outcome == FIRED

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outcome": self.outcome,
            "reason": self.reason,
            "detail": self.detail,
            "context": self.context,
            "command": self.command,
            **({"approval": self.approval} if self.approval else {}),
        }


def _skipped(
    step: Mapping[str, Any], reason: str, detail: str, context: Mapping[str, str] | None = None, error: StepError | None = None
) -> StepOutcome:
    return StepOutcome(step["id"], SKIPPED, reason, detail, dict(context) if context is not None else None, error=error)


def evaluate(
    step: Mapping[str, Any],
    event: Event,
    step_states: Mapping[str, str],
    parent_context: Mapping[str, str],
    render: Render,
    parse_bool: ParseBool,
    claims_of: ClaimsOf | None = None,
) -> StepOutcome:
    """One step against one event in one execution.

    The candidate checks first (api-contract §5.3: pack and event name, no action yet for the step, dependsOn
    satisfied), then evaluation (api-contract §5.4: context, event pack labels, criteria, command pack labels,
    input), with the actor check after the criteria (issue 27: who may start it, once it is clear the
    event is for it). A template that fails makes the outcome `template`, naming the field.
    """
    expected = step["event"]
    if expected["name"] != event.name or expected["packName"] != event.pack_name:
        return _skipped(
            step,
            "event",
            f"waits for event {expected['name']!r} from pack {expected['packName']!r}; "
            f"this is {event.name!r} from pack {event.pack_name!r}",
        )
    if step["id"] in step_states:
        return _skipped(
            step, "alreadyRan", f"step {step['id']!r} already has an action in this execution (state {step_states[step['id']]})"
        )
    depends_on = step.get("dependsOn")
    if depends_on and not any(step_states.get(step_id) in TERMINAL for step_id in depends_on):
        found = ", ".join(f"{step_id}: {step_states.get(step_id, 'not run')}" for step_id in depends_on)
        return _skipped(
            step, "dependsOn", f"waits for any of {', '.join(depends_on)} to finish (SUCCESS or FATAL); found {found}"
        )
    context: dict[str, str] | None = None
    try:
        event_value = event.template_value()
        parent_variables = {"Event": event_value, "Context": dict(parent_context)}
        context = {
            **parent_context,
            **{
                key: _render(render, source, parent_variables, f"context.{key}")
                for key, source in step.get("context", {}).items()
            },
        }
        variables = {"Event": event_value, "Context": context}

        required = {
            key: _render(render, source, variables, f"event.packLabels.{key}")
            for key, source in expected.get("packLabels", {}).items()
        }
        if not labels_include(event.pack_labels, required):
            return _skipped(
                step,
                "eventLabels",
                f"requires pack labels {_labels(required)}; the event's pack has {_labels(event.pack_labels)}",
                context,
            )

        if step.get("criteria"):
            output = _render(render, step["criteria"], variables, "criteria")
            try:
                holds = parse_bool(output)
            except ValueError:
                raise StepError("criteria", f"rendered {output!r}, which is not a boolean (true/false, 1/0, t/f)") from None
            if not holds:
                return _skipped(step, "criteria", f"criteria rendered {output!r}: {step['criteria']}", context)

        refusal = chatops.actor_refusal(step, claims_of(event) if claims_of and step.get("actor") else None)
        if refusal:
            denied, refs = _command(step["denied"], "denied", context, variables, render) if step.get("denied") else (None, [])
            return StepOutcome(step["id"], SKIPPED, "actor", refusal, dict(context), command=denied, secret_refs=refs or None)
        command, refs = _command(step["command"], "command", context, variables, render)
        approval = _approval(step["approval"], event, variables, render) if step.get("approval") else None
    except StepError as error:
        return _skipped(step, "template", f"{error.field}: {error.message}", context, error)
    return StepOutcome(step["id"], FIRED, context=context, command=command, approval=approval, secret_refs=refs or None)


def _command(
    command: Mapping[str, Any], part: str, context: Mapping[str, str], variables: Mapping[str, Any], render: Render
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The command as its action stores it, with where its input holds secret masks (issue 24)."""
    labels = {
        key: _render(render, source, variables, f"{part}.packLabels.{key}")
        for key, source in command.get("packLabels", {}).items()
    }
    input_ = render_input(command.get("input"), variables, render, f"{part}.input")
    try:
        input_, refs = secrets.extract(input_)  # masks, never values, from here on
    except ValueError as error:
        raise StepError(f"{part}.input", str(error)) from None
    # The action is one DynamoDB item with its trigger and, later, its result: bound what it adds.
    for where, value, limit in (
        (f"{part}.input", input_, bounds.MAX_PAYLOAD_BYTES),
        ("context", context, bounds.MAX_CONTEXT_BYTES),
    ):
        size = bounds.json_size(value)
        if size > limit:
            raise StepError(where, f"rendered {size} bytes; at most {limit} fit in an action")
    return {"packName": command["packName"], "name": command["name"], "packLabels": labels, "input": input_}, refs


def _approval(rules: Mapping[str, Any], event: Event, variables: Mapping[str, Any], render: Render) -> dict[str, Any]:
    """The step's approval as its action keeps it: where to ask (rendered), by whom, and who asked."""
    requester = event_chat_actor(event.actor)
    return {
        "approvers": rules["approvers"],
        "claims": rules["claims"],
        "selfApproval": rules["selfApproval"],
        "timeout": rules["timeout"],
        "packName": rules.get("packName") or event.pack_name,
        "channel": _render(render, rules["channel"], variables, "approval.channel"),
        "thread": _render(render, rules["thread"], variables, "approval.thread"),
        "requester": requester.record() if requester else None,
        "expiresAt": approvals.expires_at(rules["timeout"], event.received_at),
    }


def _labels(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in sorted(labels.items())) + "}" if labels else "none"


def render_input(value: Any, variables: Mapping[str, Any], render: Render, where: str) -> Any:
    """Strings are templates; numbers, booleans, null and map keys are copied unchanged."""
    if isinstance(value, str):
        return _render(render, value, variables, where)
    if isinstance(value, dict):
        return {key: render_input(item, variables, render, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [render_input(item, variables, render, f"{where}[{index}]") for index, item in enumerate(value)]
    return value


def _render(render: Render, source: str, variables: Mapping[str, Any], field: str) -> str:
    try:
        output = render(source, variables)
    except Exception as error:  # any template failure is this step's failure, never the batch's
        message = str(getattr(error, "message", None) or error)
        line, column = getattr(error, "line", None), getattr(error, "column", None)
        if line is not None:
            message += f" (line {line}" + (f", column {column})" if column is not None else ")")
        raise StepError(field, message) from None
    if secrets.holds_marker(output) and not field.startswith("command.input"):
        raise StepError(field, "secret() may be used only in a command's input")
    return output


@dataclass(frozen=True)
class Plan:
    """An event in one execution: every step's outcome, and what the pipeline makes of them."""

    outcomes: list[StepOutcome]
    actions: list[PlannedAction]
    failures: list[StepFailure]


def outcomes(
    execution: Execution, event: Event, render: Render, parse_bool: ParseBool, claims_of: ClaimsOf | None = None
) -> list[StepOutcome]:
    """Every step of the execution's flow against the event, in flow order: no side effects."""
    return [
        evaluate(step, event, execution.step_states, execution.context, render, parse_bool, claims_of)
        for step in execution.flow["steps"]
    ]


DENIED_SUFFIX = "#denied"  # the step id of the action a step's `denied` command creates


def plan(execution: Execution, event: Event, render: Render, parse_bool: ParseBool, claims_of: ClaimsOf | None = None) -> Plan:
    """The actions an event creates in an execution (its fired steps, and the `denied` commands of
    steps the actor may not start), and the steps whose templates failed (recorded for the audit)."""
    flow = execution.flow
    evaluated = outcomes(execution, event, render, parse_bool, claims_of)
    actions = [
        PlannedAction(
            id=action_id_for(execution.correlation_id, step_id),
            step_id=step_id,
            name=o.command["name"],
            pack_name=o.command["packName"],
            pack_labels=o.command["packLabels"],
            input=o.command["input"],
            context=o.context or {},
            correlation_id=execution.correlation_id,
            flow_name=flow["name"],
            flow_uuid=execution.flow_uuid,
            trigger=event,
            secret_refs=o.secret_refs,
            approval=o.approval,
        )
        for o in evaluated
        if o.command and (o.fired or o.reason == "actor")
        for step_id in [o.id if o.fired else o.id + DENIED_SUFFIX]
    ]
    failures = [
        StepFailure(
            id=failure_id_for(execution.correlation_id, o.id, event.id),
            step_id=o.id,
            field=o.error.field,
            message=o.error.message,
            correlation_id=execution.correlation_id,
            flow_name=flow["name"],
            flow_uuid=execution.flow_uuid,
            trigger=event.as_json(),
            time=event.received_at,
        )
        for o in evaluated
        if o.error is not None
    ]
    return Plan(evaluated, actions, failures)
