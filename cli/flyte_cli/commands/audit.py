"""`flyte audit list|show|tail`: flow executions, one as a timeline, and new ones as they happen."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
import yaml
from rich.console import Group
from rich.text import Text

from ..api import Api, item
from ..output import Format, OutputOption, compact, emit, err, new_table, out, resolve, waiting

app = typer.Typer(help="The audit of flow executions.", no_args_is_help=True)

STATE_STYLES = {"NEW": "cyan", "PENDING": "blue", "SUCCESS": "green", "FATAL": "red", "FAILED": "red"}


@dataclass(frozen=True)
class Entry:
    """One moment of an execution: an action's state change, or a step that failed to render."""

    time: str
    flow: str
    correlationId: str
    stepId: str
    state: str
    detail: str


def timeline(execution: dict[str, Any]) -> list[Entry]:
    flow, correlation_id = execution.get("name", ""), execution.get("correlationId", "")
    entries = []
    for step_id, action in (execution.get("actions") or {}).items():
        command = f"{action.get('packName', '')}.{action.get('name', '')}"
        for state in action.get("states") or []:
            value = state.get("value", "")
            if value == "NEW":
                trigger = action.get("trigger") or {}
                origin = f"{(trigger.get('pack') or {}).get('name', '')}.{trigger.get('event', '')}"
                detail = f"{command} on {origin}, input {compact(action.get('input'))}"
            elif value == "PENDING":
                detail = f"taken (attempt {state.get('attempt', '?')}, pack {state.get('packId', '?')})"
            else:
                result = action.get("result") or {}
                detail = f"result {result.get('event')} {compact(result.get('payload'))}" if result.get("event") else ""
            entries.append(Entry(state.get("time", ""), flow, correlation_id, step_id, value, detail))
    for failure in execution.get("stepFailures") or []:
        where = failure.get("field", "")
        entries.append(
            Entry(
                failure.get("time", ""),
                flow,
                correlation_id,
                failure.get("stepId", ""),
                "FAILED",
                f"template {where}: {failure.get('message', '')}".strip(),
            )
        )
    return sorted(entries, key=_moment)


def _moment(entry: Entry) -> datetime:
    """Entries in time order (the API's times have 1 to 6 fraction digits, so text order is not enough)."""
    try:
        return datetime.fromisoformat(entry.time)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _state_cell(state: str) -> Text:
    return Text(state, style=STATE_STYLES.get(state, ""))


@app.command("list")
def list_executions(
    ctx: typer.Context,
    flow: Annotated[str | None, typer.Option("--flow", help="Only executions of this flow.", show_default=False)] = None,
    step: Annotated[str | None, typer.Option("--step", help="Only executions with this step.", show_default=False)] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Only executions with an action of this command.", show_default=False)
    ] = None,
    pack: Annotated[
        str | None, typer.Option("--pack", help="Only executions with an action for packs of this name.", show_default=False)
    ] = None,
    pack_labels: Annotated[
        str | None, typer.Option("--pack-labels", metavar="K:V,...", help="... and these labels.", show_default=False)
    ] = None,
    start: Annotated[int, typer.Option("--start", min=0, help="Skip this many (paging).")] = 0,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, max=1000, help="At most this many (server default 50).", show_default=False)
    ] = None,
    output: OutputOption = None,
) -> None:
    """Flow executions, the most recently active first."""
    api: Api = ctx.obj
    params = {
        key: value
        for key, value in {
            "flowName": flow,
            "stepId": step,
            "actionName": action,
            "actionPackName": pack,
            "actionPackLabels": pack_labels,
            "start": start or None,
            "limit": limit,
        }.items()
        if value is not None
    }
    emit(api.get_json(api.audit_flows(), params=params), output, _executions_table)


def _executions_table(body: dict[str, Any]):
    table = new_table("CORRELATION ID", "FLOW", "STARTED", "LAST CHANGE", "STEPS", "FAILURES")
    for execution in body.get("flows", []):
        entries = timeline(execution)
        steps = Text(", ").join(
            Text(f"{step}=") + _state_cell(action.get("state", {}).get("value", ""))
            for step, action in (execution.get("actions") or {}).items()
        )
        table.add_row(
            execution.get("correlationId"),
            execution.get("name"),
            entries[0].time if entries else "",
            entries[-1].time if entries else "",
            steps,
            str(len(execution.get("stepFailures") or [])),
        )
    return table


@app.command("show")
def show_execution(
    ctx: typer.Context, correlation_id: Annotated[str, typer.Argument(metavar="CORRELATION_ID")], output: OutputOption = None
) -> None:
    """One execution as a timeline: each action's state changes with times, step failures, results."""
    api: Api = ctx.obj
    emit(api.get_json(item(api.audit_flows(), correlation_id)), output, _timeline_view)


def _timeline_view(execution: dict[str, Any]):
    table = new_table("TIME", "STEP", "STATE", "DETAIL")
    for entry in timeline(execution):
        table.add_row(entry.time, entry.stepId, _state_cell(entry.state), entry.detail)
    heading = Text(
        f"Execution {execution.get('correlationId')} of flow {execution.get('name')} (version {execution.get('uuid')})",
        style="bold",
    )
    return Group(heading, table)


@app.command("tail")
def tail(
    ctx: typer.Context,
    flow: Annotated[str | None, typer.Option("--flow", help="Only executions of this flow.", show_default=False)] = None,
    interval: Annotated[float, typer.Option("--interval", min=0.2, help="Seconds between polls.")] = 2.0,
    output: OutputOption = None,
) -> None:
    """Follow executions as they happen (each state change on a line) until Ctrl-C."""
    api: Api = ctx.obj
    url, params = api.audit_flows(), {"limit": 50, **({"flowName": flow} if flow else {})}
    chosen = resolve(output)
    seen = {entry for execution in api.get_json(url, params=params).get("flows", []) for entry in timeline(execution)}
    try:
        with waiting(f"Following executions{' of ' + flow if flow else ''} (Ctrl-C to stop)", announce=True):
            while True:
                time.sleep(interval)
                fresh = sorted(
                    {entry for execution in api.get_json(url, params=params).get("flows", []) for entry in timeline(execution)}
                    - seen,
                    key=_moment,
                )
                for entry in fresh:
                    _print_entry(entry, chosen)
                seen.update(fresh)
    except KeyboardInterrupt:
        err.print("Stopped.")


def _print_entry(entry: Entry, chosen: Format) -> None:
    if chosen is Format.json:
        sys.stdout.write(json.dumps(asdict(entry)) + "\n")
    elif chosen is Format.yaml:
        sys.stdout.write("---\n" + yaml.safe_dump(asdict(entry), sort_keys=False))
    else:
        line = Text(f"{entry.time}  {entry.flow}  {entry.correlationId}  {entry.stepId}  ")
        out.print(line + _state_cell(entry.state) + Text(f"  {entry.detail}"), soft_wrap=True)
    sys.stdout.flush()
