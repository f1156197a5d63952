"""`flyte schedules list|get|apply|delete|preview` (issue 22)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Group

from .. import documents
from ..api import Api, item
from ..output import OutputOption, compact, done, emit, new_table

Name = Annotated[str, typer.Argument(metavar="NAME", help="The schedule's name (Ticker: the built-in one).")]
Count = Annotated[int, typer.Option("--count", "-n", min=1, max=50, help="How many next fire times to show.")]

app = typer.Typer(
    help="Schedules: cron(...), rate(...) or at(...) in a time zone, each firing an event of the built-in "
    "Schedule pack (the built-in Ticker: flyte-ticker's Tick).",
    no_args_is_help=True,
)


def _schedules(api: Api) -> str:
    return api.link("listSchedules") or f"{api.base_url}/v1/schedules"


@app.command("list")
def list_schedules(ctx: typer.Context, output: OutputOption = None) -> None:
    """List schedules with their expression, time zone, state and next fire time."""
    api: Api = ctx.obj
    emit(api.get_json(_schedules(api)), output, _list_table)


def _list_table(body: dict[str, Any]):
    table = new_table("NAME", "EXPRESSION", "TIME ZONE", "ENABLED", "EVENT", "NEXT (LOCAL)")
    for schedule in body.get("schedules", []):
        upcoming = schedule.get("nextFireTimes") or []
        table.add_row(
            schedule.get("name"),
            schedule.get("expression"),
            schedule.get("timezone"),
            "yes" if schedule.get("enabled") else "no",
            _event(schedule),
            upcoming[0]["local"] if upcoming else "-",
        )
    return table


def _event(schedule: dict[str, Any]) -> str:
    event = schedule.get("event") or {}
    return f"{event.get('packName')}/{event.get('name')}"


def _view(schedule: dict[str, Any]):
    summary = new_table("NAME", "EXPRESSION", "TIME ZONE", "ENABLED", "MISSED", "EVENT", "PAYLOAD")
    summary.add_row(
        schedule.get("name"),
        schedule.get("expression"),
        schedule.get("timezone"),
        "yes" if schedule.get("enabled") else "no",
        schedule.get("missed"),
        _event(schedule),
        compact(schedule.get("payload")),
    )
    upcoming = new_table("LOCAL", "UTC", title="Next fire times")
    for at in schedule.get("nextFireTimes") or []:
        upcoming.add_row(at.get("local"), at.get("utc"))
    return Group(summary, upcoming) if upcoming.row_count else summary


@app.command("get")
def get_schedule(ctx: typer.Context, name: Name, count: Count = 5, output: OutputOption = None) -> None:
    """Show a schedule and its next fire times, local and UTC (so DST changes show)."""
    api: Api = ctx.obj
    emit(api.get_json(item(_schedules(api), name), params={"count": count}), output, _view)


@app.command("apply")
def apply_schedules(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="YAML or JSON: one schedule or a list, each with a name ('-' for stdin).")
    ],
) -> None:
    """Create or replace schedules from a file."""
    api: Api = ctx.obj
    document = documents.load(file, "FILE")
    entries = document if isinstance(document, list) else [document]
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise typer.BadParameter("each schedule needs a 'name'", param_hint="FILE")
        url = item(_schedules(api), entry["name"])
        response = api.request("PUT", url, json=entry)
        upcoming = response.json().get("nextFireTimes") or []
        following = f", next {upcoming[0]['local']}" if upcoming else " (fires no more)"
        done(f"Schedule {entry['name']} {'created' if response.status_code == 201 else 'replaced'}{following}: {url}")


@app.command("delete")
def delete_schedule(ctx: typer.Context, name: Name) -> None:
    """Delete a schedule (it fires no more)."""
    api: Api = ctx.obj
    api.request("DELETE", item(_schedules(api), name))
    done(f"Deleted schedule {name}")


@app.command("preview")
def preview(
    ctx: typer.Context,
    expression: Annotated[str, typer.Argument(metavar="EXPRESSION", help="cron(...), rate(N minutes|hours|days) or at(...).")],
    timezone: Annotated[str, typer.Option("--timezone", "-z", help="An IANA time zone.")] = "UTC",
    count: Count = 10,
    output: OutputOption = None,
) -> None:
    """The next fire times of an expression, without saving anything."""
    api: Api = ctx.obj
    body = {"expression": expression, "timezone": timezone, "count": count}
    emit(api.call("POST", f"{_schedules(api)}/preview", json=body), output, _view)
