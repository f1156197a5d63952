"""`flyte datastore list|get|put|delete`."""

from __future__ import annotations

import mimetypes
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import completion, documents
from ..api import Api, item
from ..output import OutputOption, done, emit, new_table

Key = Annotated[str, typer.Argument(metavar="KEY", autocompletion=completion.datastore_keys)]

app = typer.Typer(help="The datastore: reference data flows read with the datastore() function.", no_args_is_help=True)


@app.command("list")
def list_items(ctx: typer.Context, output: OutputOption = None) -> None:
    """List items (keys, content types, descriptions; not values)."""
    api: Api = ctx.obj
    emit(api.get_list(api.datastore(), "datastore"), output, _items_table)


def _items_table(body: dict[str, Any]):
    table = new_table("KEY", "CONTENT TYPE", "DESCRIPTION")
    for entry in body.get("datastore", []):
        table.add_row(entry.get("key"), entry.get("contentType"), entry.get("description") or "")
    return table


@app.command("get")
def get_item(ctx: typer.Context, key: Key) -> None:
    """Write an item's raw value to stdout."""
    api: Api = ctx.obj
    response = api.request("GET", item(api.datastore(), key), headers={"Accept": "*/*"})
    sys.stdout.buffer.write(response.content)
    sys.stdout.buffer.flush()


@app.command("put")
def put_item(
    ctx: typer.Context,
    key: Key,
    file: Annotated[str, typer.Argument(metavar="FILE", help="The value ('-' for stdin).")],
    description: Annotated[str | None, typer.Option("--description", "-d", show_default=False)] = None,
    content_type: Annotated[
        str | None,
        typer.Option("--content-type", "-t", help="Default: guessed from FILE's name, else text/plain.", show_default=False),
    ] = None,
) -> None:
    """Create or replace an item from a file."""
    api: Api = ctx.obj
    value = documents.read_bytes(file, "FILE")
    name = "value" if file == "-" else Path(file).name
    chosen_type = content_type or mimetypes.guess_type(name)[0] or "text/plain; charset=utf-8"
    form: dict[str, Any] = {"value": (name, value, chosen_type)}
    if description is not None:
        form["description"] = (None, description)
    response = api.request("PUT", item(api.datastore(), key), files=form)
    done(f"{'Created' if response.status_code == 201 else 'Replaced'} datastore item {key} ({chosen_type}, {len(value)} bytes)")


@app.command("delete")
def delete_item(ctx: typer.Context, key: Key) -> None:
    """Delete an item."""
    api: Api = ctx.obj
    api.request("DELETE", item(api.datastore(), key))
    done(f"Deleted datastore item {key}")
