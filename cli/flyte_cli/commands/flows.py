"""`flyte flows apply|list|get|delete|test|replay`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Group
from rich.text import Text

from .. import completion, documents, outcomes
from ..api import Api, item, last_segment
from ..output import OutputOption, done, emit, new_table, waiting, warn

app = typer.Typer(help="Flows: apply, inspect, dry-run and replay them.", no_args_is_help=True)

FlowName = Annotated[str, typer.Argument(metavar="NAME", autocompletion=completion.flows)]
FileOption = Annotated[str, typer.Option("--file", "-f", help="A flow document, JSON or YAML ('-' for stdin).")]


@app.command("apply")
def apply_flow(ctx: typer.Context, file: FileOption) -> None:
    """Create or replace a flow from a JSON or YAML document; prints its name, URL and any warnings."""
    api: Api = ctx.obj
    text = documents.read_text(file, "--file")
    response = api.request("POST", api.flows(), data=text.encode("utf-8"), headers={"Content-Type": documents.body_type(text)})
    location = response.headers.get("Location", "")
    done(f"Flow {last_segment(location)} applied: {location}")
    for warning in _upload_warnings(response):
        where = ", ".join(filter(None, (f"step {warning['stepId']}" if warning.get("stepId") else None, warning.get("field"))))
        warn(f"{where}: {warning.get('detail')}" if where else str(warning.get("detail")))


def _upload_warnings(response) -> list[dict[str, Any]]:
    """The 201's `{"warnings": [...]}` (issues 12, 19): steps whose event or command no registered pack declares,
    Shell scripts that write event text unquoted."""
    if "json" not in response.headers.get("content-type", "") or not response.content:
        return []
    try:
        body = response.json()
    except ValueError:
        return []
    return body.get("warnings") or [] if isinstance(body, dict) else []


@app.command("list")
def list_flows(ctx: typer.Context, output: OutputOption = None) -> None:
    """List the flows (their current versions)."""
    api: Api = ctx.obj
    emit(api.get_list(api.flows(), "flows"), output, _flows_table)


def _flows_table(body: dict[str, Any]):
    table = new_table("NAME", "DESCRIPTION")
    for flow in body.get("flows", []):
        table.add_row(flow.get("name"), flow.get("description") or "")
    return table


@app.command("get")
def get_flow(ctx: typer.Context, name: FlowName, output: OutputOption = None) -> None:
    """Show the current version of a flow (-o yaml gives a document `flows apply` takes back)."""
    api: Api = ctx.obj
    emit(api.get_json(item(api.flows(), name)), output, _flow_view)


def _flow_view(flow: dict[str, Any]):
    steps = new_table(
        "STEP",
        "ON EVENT",
        "DEPENDS ON",
        "CRITERIA",
        "COMMAND",
        title=f"Flow {flow.get('name')}" + (f": {flow['description']}" if flow.get("description") else ""),
    )
    for step in flow.get("steps", []):
        event = step.get("event") or {}
        command = step.get("command") or {}
        steps.add_row(
            step.get("id"),
            f"{event.get('packName', '')}.{event.get('name', '')}",
            ", ".join(step.get("dependsOn") or []),
            step.get("criteria") or "",
            f"{command.get('packName', '')}.{command.get('name', '')}",
        )
    return steps


@app.command("delete")
def delete_flow(ctx: typer.Context, name: FlowName) -> None:
    """Delete a flow (executions already running finish)."""
    api: Api = ctx.obj
    api.request("DELETE", item(api.flows(), name))
    done(f"Deleted flow {name}")


@app.command("test")
def test_flow(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="A stored flow (instead of -f).", show_default=False, autocompletion=completion.flows)
    ] = None,
    file: Annotated[
        str | None, typer.Option("--file", "-f", help="A flow document to try, JSON or YAML.", show_default=False)
    ] = None,
    event: Annotated[
        str,
        typer.Option("--event", "-e", help="The event, JSON or YAML: {packName, packLabels, event, payload} ('-' for stdin)."),
    ] = ...,  # type: ignore[assignment]  # Typer: required
    state: Annotated[
        list[str], typer.Option("--state", help="STEP=SUCCESS|FATAL: an earlier step of the same execution (repeatable).")
    ] = [],  # noqa: B006 (Typer's idiom)
    context: Annotated[
        str | None, typer.Option("--context", help="The context a continuation inherits (JSON or YAML file).", show_default=False)
    ] = None,
    output: OutputOption = None,
) -> None:
    """Dry run: what each step would do for an event. Nothing is stored, nothing runs."""
    api: Api = ctx.obj
    if (name is None) == (file is None):
        raise typer.BadParameter("give either a flow NAME or -f FILE", param_hint="NAME / --file")
    body: dict[str, Any] = {"event": documents.load(event, "--event")}
    if state:
        body["states"] = documents.pairs(state, "--state")
    if context:
        body["context"] = documents.load(context, "--context")
    if file is not None:
        body = {"flow": documents.load(file, "--file"), **body}
        url = api.flow_test()
    else:
        assert name is not None  # exactly one of NAME and --file, checked above
        url = item(api.flows(), name) + "/test"
    result = api.call("POST", url, json=body, offered_as="dry runs of flows")
    emit(result, output, _test_table)


def _test_table(result: dict[str, Any]):
    table = new_table("STEP", "OUTCOME", "REASON", "DETAIL", "COMMAND", title=f"Dry run of {result.get('flow')}")
    for step in result.get("steps", []):
        table.add_row(*outcomes.row(step))
    return table


@app.command("replay")
def replay_flow(
    ctx: typer.Context,
    file: FileOption,
    since: Annotated[str | None, typer.Option("--since", help="ISO-8601 time or duration (P7D).", show_default=False)] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, max=1000, help="Events to replay (server default 200).", show_default=False)
    ] = None,
    output: OutputOption = None,
) -> None:
    """Replay stored events through an edited flow: the steps whose outcome would change."""
    api: Api = ctx.obj
    body: dict[str, Any] = {"flow": documents.load(file, "--file")}
    if since:
        body["since"] = since
    if limit:
        body["limit"] = limit
    with waiting("Replaying stored events..."):
        result = api.call("POST", api.flow_replay(), json=body, offered_as="replays of flows")
    emit(result, output, _replay_view)


def _replay_view(result: dict[str, Any]):
    changes = result.get("changes", [])
    table = new_table("EVENT", "STEP", "BEFORE", "AFTER")
    for change in changes:
        table.add_row(
            change.get("eventId"),
            change.get("stepId"),
            outcomes.summary(change.get("before")),
            outcomes.summary(change.get("after")),
        )
    heading = Text(
        f"Replay of {result.get('flow')}: {result.get('eventsConsidered', 0)} events considered, "
        f"{len(changes)} changed, {result.get('unchanged', 0)} unchanged"
    )
    return Group(heading, table) if changes else heading
