"""`flyte packs list|get|delete`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Group

from .. import completion
from ..api import Api, item
from ..output import OutputOption, compact, done, emit, labels, new_table

PackId = Annotated[str, typer.Argument(metavar="ID", autocompletion=completion.packs)]

app = typer.Typer(help="Registered packs.", no_args_is_help=True)


@app.command("list")
def list_packs(ctx: typer.Context, output: OutputOption = None) -> None:
    """List registered packs with their status and when they were last seen."""
    api: Api = ctx.obj
    emit(api.get_list(api.packs(), "packs"), output, _packs_table)


def _packs_table(body: dict[str, Any]):
    table = new_table("ID", "NAME", "LABELS", "STATUS", "LAST SEEN")
    for pack in body.get("packs", []):
        table.add_row(pack.get("id"), pack.get("name"), labels(pack.get("labels")), pack.get("status"), pack.get("lastSeen"))
    return table


@app.command("get")
def get_pack(ctx: typer.Context, pack_id: PackId, output: OutputOption = None) -> None:
    """Show a pack: labels, status, the commands it takes and the events it sends."""
    api: Api = ctx.obj
    emit(api.get_json(item(api.packs(), pack_id)), output, _pack_view)


def _pack_view(pack: dict[str, Any]):
    summary = new_table("ID", "NAME", "LABELS", "STATUS", "LAST SEEN")
    summary.add_row(pack.get("id"), pack.get("name"), labels(pack.get("labels")), pack.get("status"), pack.get("lastSeen"))
    commands = new_table("COMMAND", "RESULT EVENTS", title="Commands")
    for command in pack.get("commands", []):
        commands.add_row(command.get("name"), ", ".join(command.get("events") or []))
    events = new_table("EVENT", "LINKS", title="Events")
    for event in pack.get("events", []):
        events.add_row(event.get("name"), compact([link.get("href") for link in event.get("links", [])] or None))
    return Group(summary, *(table for table in (commands, events) if table.row_count))


@app.command("delete")
def delete_pack(ctx: typer.Context, pack_id: PackId) -> None:
    """Delete a pack and its action queue."""
    api: Api = ctx.obj
    api.request("DELETE", item(api.packs(), pack_id))
    done(f"Deleted pack {pack_id}")
