"""The rules of flow execution (api-contract §5), as pure functions: which steps an event concerns in an
execution, and what evaluating one step makes of it. No AWS here; templates come in as a function."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import bounds, ids
from .events import Event
from .packs import labels_include

TERMINAL = frozenset({"SUCCESS", "FATAL"})
Render = Callable[[str, Mapping[str, Any]], str]
ParseBool = Callable[[str], bool]


@dataclass(frozen=True)
class Execution:
    """One run of one flow version: what its steps have done so far and the context to start from."""

    correlation_id: str
    flow_uuid: str
    flow: dict[str, Any]
    context: dict[str, str]
    step_states: dict[str, str]  # step id -> state of the action that step created


@dataclass(frozen=True)
class PlannedAction:
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


def candidate_steps(flow: Mapping[str, Any], event: Event, step_states: Mapping[str, str]) -> list[dict[str, Any]]:
    """Steps of the flow this event may run, in document order (api-contract §5.3): matching pack and event
    name, no action yet in this execution, and dependsOn empty or any listed step finished."""
    candidates = []
    for step in flow["steps"]:
        if step["event"]["name"] != event.name or step["event"]["packName"] != event.pack_name:
            continue
        if step["id"] in step_states:
            continue
        depends_on = step.get("dependsOn")
        if depends_on and not any(step_states.get(step_id) in TERMINAL for step_id in depends_on):
            continue
        candidates.append(step)
    return candidates


def evaluate_step(
    step: Mapping[str, Any], event: Event, parent_context: Mapping[str, str], render: Render, parse_bool: ParseBool
) -> tuple[dict[str, str], dict[str, str], Any] | None:
    """Context, event pack labels, criteria, command pack labels, input - in that order (api-contract §5.4).

    Returns (context, command pack labels, input), None when the step does not apply, and raises
    StepError naming the field whose template failed.
    """
    event_value = event.template_value()
    parent_variables = {"Event": event_value, "Context": dict(parent_context)}
    context = dict(parent_context)
    for key, source in step.get("context", {}).items():
        context[key] = _render(render, source, parent_variables, f"context.{key}")
    variables = {"Event": event_value, "Context": context}

    required = {
        key: _render(render, source, variables, f"event.packLabels.{key}")
        for key, source in step["event"].get("packLabels", {}).items()
    }
    if not labels_include(event.pack_labels, required):
        return None

    if step.get("criteria"):
        output = _render(render, step["criteria"], variables, "criteria")
        try:
            if not parse_bool(output):
                return None
        except ValueError:
            raise StepError("criteria", f"rendered {output!r}, which is not a boolean (true/false, 1/0, t/f)") from None

    command = step["command"]
    labels = {
        key: _render(render, source, variables, f"command.packLabels.{key}")
        for key, source in command.get("packLabels", {}).items()
    }
    input_ = render_input(command.get("input"), variables, render, "command.input")
    # The action is one DynamoDB item with its trigger and, later, its result: bound what it adds.
    for field, value, limit in (
        ("command.input", input_, bounds.MAX_PAYLOAD_BYTES),
        ("context", context, bounds.MAX_CONTEXT_BYTES),
    ):
        size = bounds.json_size(value)
        if size > limit:
            raise StepError(field, f"rendered {size} bytes; at most {limit} fit in an action")
    return context, labels, input_


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
        return render(source, variables)
    except Exception as error:  # any template failure is this step's failure, never the batch's
        message = str(getattr(error, "message", None) or error)
        line, column = getattr(error, "line", None), getattr(error, "column", None)
        if line is not None:
            message += f" (line {line}" + (f", column {column})" if column is not None else ")")
        raise StepError(field, message) from None


def plan(
    execution: Execution, event: Event, render: Render, parse_bool: ParseBool
) -> tuple[list[PlannedAction], list[StepFailure]]:
    """The actions an event creates in an execution, and the steps that failed to evaluate."""
    flow = execution.flow
    actions: list[PlannedAction] = []
    failures: list[StepFailure] = []
    for step in candidate_steps(flow, event, execution.step_states):
        try:
            evaluated = evaluate_step(step, event, execution.context, render, parse_bool)
        except StepError as error:
            failures.append(
                StepFailure(
                    id=failure_id_for(execution.correlation_id, step["id"], event.id),
                    step_id=step["id"],
                    field=error.field,
                    message=error.message,
                    correlation_id=execution.correlation_id,
                    flow_name=flow["name"],
                    flow_uuid=execution.flow_uuid,
                    trigger=event.as_json(),
                    time=event.received_at,
                )
            )
            continue
        if evaluated is None:
            continue
        context, labels, input_ = evaluated
        actions.append(
            PlannedAction(
                id=action_id_for(execution.correlation_id, step["id"]),
                step_id=step["id"],
                name=step["command"]["name"],
                pack_name=step["command"]["packName"],
                pack_labels=labels,
                input=input_,
                context=context,
                correlation_id=execution.correlation_id,
                flow_name=flow["name"],
                flow_uuid=execution.flow_uuid,
                trigger=event,
            )
        )
    return actions, failures
