"""`flyte secrets list|set|delete` (issue 24). A value is read from stdin or a hidden prompt, never
from the command line, where it would stay in the shell's history and the process list."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from ..api import Api, CliFailure, item
from ..output import OutputOption, done, emit, new_table

Name = Annotated[str, typer.Argument(metavar="NAME", help="The secret's name, as flows write it: {{ secret('NAME') }}.")]

app = typer.Typer(help="Secrets flows reference with {{ secret('name') }}; values never shown.", no_args_is_help=True)


def _collection(api: Api) -> str:
    return api.link("listSecrets") or f"{api.base_url}/v1/secrets"


@app.command("list")
def list_secrets(ctx: typer.Context, output: OutputOption = None) -> None:
    """List secrets (names, descriptions, scopes, who changed them and when; never values)."""
    api: Api = ctx.obj
    emit(api.get_list(_collection(api), "secrets"), output, _table)


def _scope(scope: dict[str, Any]) -> str:
    parts = [f"packs={','.join(scope['packs'])}" if scope.get("packs") else ""]
    parts.append(",".join(f"{k}={v}" for k, v in sorted((scope.get("labels") or {}).items())))
    parts.append(f"flows={','.join(scope['flows'])}" if scope.get("flows") else "")
    return " ".join(part for part in parts if part) or "any"


def _table(body: dict[str, Any]):
    table = new_table("NAME", "VERSION", "SCOPE", "CHANGED BY", "CHANGED AT", "DESCRIPTION")
    for entry in body.get("secrets", []):
        who = entry.get("changedBy") or {}
        table.add_row(
            entry.get("name"),
            str(entry.get("version")),
            _scope(entry.get("scope") or {}),
            who.get("email") or who.get("sub") or "",
            entry.get("changedAt") or "",
            entry.get("description") or "",
        )
    return table


def _labels(values: list[str]) -> dict[str, str]:
    labels = {}
    for value in values:
        key, sep, label = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{value!r}: write a label as key=value", param_hint="--label")
        labels[key] = label
    return labels


def _read_value(name: str) -> str:
    if sys.stdin.isatty():
        value = typer.prompt(f"Value of {name}", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.read()
        value = value[:-1] if value.endswith("\n") else value  # `echo value |` adds one newline
    if not value:
        raise CliFailure("No value: pipe it on stdin or type it at the prompt.")
    return str(value)


@app.command("set")
def set_secret(
    ctx: typer.Context,
    name: Name,
    description: Annotated[str | None, typer.Option("--description", "-d", show_default=False)] = None,
    pack: Annotated[list[str] | None, typer.Option("--pack", help="Only packs of this name receive it (repeat).")] = None,
    label: Annotated[list[str] | None, typer.Option("--label", help="Only packs with this label key=value (repeat).")] = None,
    flow: Annotated[list[str] | None, typer.Option("--flow", help="Only actions of this flow receive it (repeat).")] = None,
) -> None:
    """Create or replace (rotate) a secret; its value is read from stdin or a hidden prompt."""
    api: Api = ctx.obj
    body: dict[str, Any] = {"value": _read_value(name)}
    if description is not None:
        body["description"] = description
    scope = {"packs": pack or [], "labels": _labels(label or []), "flows": flow or []}
    if any(scope.values()):
        body["scope"] = scope
    response = api.request("PUT", item(_collection(api), name), json=body)
    version = response.json().get("version")
    done(f"{'Created' if response.status_code == 201 else 'Rotated'} secret {name} (version {version})")


@app.command("delete")
def delete_secret(ctx: typer.Context, name: Name) -> None:
    """Delete a secret (actions that reference it end FATAL when taken)."""
    api: Api = ctx.obj
    api.request("DELETE", item(_collection(api), name))
    done(f"Deleted secret {name}")
