"""`flyte hooks list|create|rotate|delete` (issue 22)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..api import Api, item
from ..output import OutputOption, done, emit, new_table

Name = Annotated[str, typer.Argument(metavar="NAME", help="The hook's name (the last segment of its URL).")]
Secret = Annotated[
    str | None,
    typer.Option(
        "--secret", help="Set this secret (16-256 characters) instead of having the engine make one.", show_default=False
    ),
]

app = typer.Typer(
    help="Inbound webhooks: each a public URL whose requests, verified by the hook's scheme, become events of the "
    "built-in Webhook pack (labels hook=NAME).",
    no_args_is_help=True,
)


def _hooks(api: Api) -> str:
    return api.link("listHooks") or f"{api.base_url}/v1/hooks"


@app.command("list")
def list_hooks(ctx: typer.Context, output: OutputOption = None) -> None:
    """List hooks: scheme, where the event name comes from, URL (never secrets)."""
    api: Api = ctx.obj
    emit(api.get_json(_hooks(api)), output, _table)


def _table(body: dict[str, Any]):
    table = new_table("NAME", "SCHEME", "EVENT FROM", "URL")
    for hook in body.get("hooks", []):
        source = hook.get("eventHeader") or (hook.get("eventField") and f"body.{hook['eventField']}") or hook.get("defaultEvent")
        table.add_row(hook.get("name"), hook.get("scheme"), source, hook.get("url"))
    return table


def _show_secret(hook: dict[str, Any], what: str) -> None:
    """The URL and secret to paste into the sender: printed once, on stdout (pipe it to a secret store)."""
    typer.echo(f"url: {hook['url']}")
    typer.echo(f"secret: {hook['secret']}")
    done(f"{what} hook {hook['name']} ({hook['scheme']}); the secret is shown this once")


@app.command("create")
def create_hook(
    ctx: typer.Context,
    name: Name,
    scheme: Annotated[str, typer.Option("--scheme", "-s", help="github, gitlab, slack, hmac or bearer.")],
    secret: Secret = None,
    event_header: Annotated[
        str | None, typer.Option("--event-header", help="The header naming the event.", show_default=False)
    ] = None,
    event_field: Annotated[
        str | None, typer.Option("--event-field", help="Else a dotted field of the JSON body.", show_default=False)
    ] = None,
    default_event: Annotated[
        str | None, typer.Option("--default-event", help="Else this event name.", show_default=False)
    ] = None,
    keep_header: Annotated[
        list[str] | None, typer.Option("--keep-header", help="A header to keep in the payload (repeatable).")
    ] = None,
    description: Annotated[str | None, typer.Option("--description", "-d", show_default=False)] = None,
) -> None:
    """Create a hook and print its URL and secret (paste both into GitHub, GitLab...)."""
    api: Api = ctx.obj
    body: dict[str, Any] = {"name": name, "scheme": scheme}
    for key, value in (
        ("secret", secret),
        ("eventHeader", event_header),
        ("eventField", event_field),
        ("defaultEvent", default_event),
        ("keepHeaders", keep_header or None),
        ("description", description),
    ):
        if value is not None:
            body[key] = value
    _show_secret(api.call("POST", _hooks(api), json=body), "Created")


@app.command("rotate")
def rotate_hook(ctx: typer.Context, name: Name, secret: Secret = None) -> None:
    """Give a hook a new secret (the old one stops working at once) and print it."""
    api: Api = ctx.obj
    _show_secret(api.call("POST", f"{item(_hooks(api), name)}/rotate", json={"secret": secret} if secret else None), "Rotated")


@app.command("delete")
def delete_hook(ctx: typer.Context, name: Name) -> None:
    """Delete a hook and its secret (its URL answers 404 from now on)."""
    api: Api = ctx.obj
    api.request("DELETE", item(_hooks(api), name))
    done(f"Deleted hook {name}")
