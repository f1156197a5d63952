"""How results reach the user: tables on a terminal, JSON or YAML for scripts, errors on stderr.

Rich decides colour: it colours only a terminal and honours NO_COLOR, so piped output is plain.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .api import Refused, Unreachable

# What the API holds (criteria regexes, templates, ':name' paths) is printed as it is: no Rich markup,
# emoji codes or highlighting in it. Piped table output is not cut to 80 columns (tables take only
# the width they need).
out = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 200, markup=False, emoji=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, emoji=False)


class Format(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


OutputOption = Annotated[
    Format | None,
    typer.Option(
        "--output", "-o", help="table, json or yaml (default: table on a terminal, json when piped).", show_default=False
    ),
]


def resolve(fmt: Format | None) -> Format:
    if fmt is not None:
        return fmt
    return Format.table if sys.stdout.isatty() else Format.json


def emit(data: Any, fmt: Format | None, table: Callable[[Any], Any]) -> None:
    """The API's representation as JSON/YAML, or the table (any Rich renderable) built from it."""
    chosen = resolve(fmt)
    if chosen is Format.json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif chosen is Format.yaml:
        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False))
    else:
        out.print(table(data))


def new_table(*columns: str, title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold", expand=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def compact(value: Any) -> str:
    """A value in one cell: strings as they are, anything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def labels(value: dict[str, str] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in (value or {}).items())


def done(message: str) -> None:
    """A confirmation for a write command (stdout, so scripts can capture it)."""
    out.print(message, soft_wrap=True)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(message)}")


@contextmanager
def waiting(message: str, announce: bool = False) -> Iterator[None]:
    """A spinner while something waits, only when a person is watching. On the console that prints the
    results when that is a terminal, so that lines printed meanwhile appear above the spinner.
    Without a terminal, `announce` says the message once on stderr (a long-running command started)."""
    console = out if out.is_terminal else err if err.is_terminal else None
    if console is None:
        if announce:
            err.print(message, markup=False)
        yield
        return
    with console.status(message):
        yield


def report(failure: Exception) -> None:
    """A failure on stderr: the problem's title, detail and field, or how to reach the API."""
    if isinstance(failure, Refused):
        problem = failure.problem
        title = problem.get("title") or failure.reason or "HTTP error"
        err.print(f"[bold red]Error:[/bold red] {escape(str(title))} ({failure.status})")
        if problem.get("detail") or failure.text:
            err.print(str(problem.get("detail") or failure.text), markup=False)
        for key in ("field", "stepId", "line", "column"):
            if problem.get(key) not in (None, ""):
                err.print(f"{key}: {problem[key]}", markup=False)
    elif isinstance(failure, Unreachable):
        err.print(f"[bold red]Error:[/bold red] {escape(str(failure))}")
        err.print(
            "Is the API running? Start the local stack with `make run` in the Flyte repository, "
            "or point the CLI at another API with --api URL or FLYTE_API.",
            markup=False,
        )
    else:
        err.print(f"[bold red]Error:[/bold red] {escape(str(failure))}")
