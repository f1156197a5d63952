"""The `flyte` command: global options, the command groups, exit codes.

Exit codes: 0 success, 1 the API refused or could not be reached (details on stderr), 2 usage errors
(Click's own convention, also used for unreadable files and values).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from . import __version__, output, profiles
from .api import DEFAULT_API, CliFailure
from .commands import audit, backup, datastore, events, flows, hooks, packs, schedules, secrets, status, token

app = typer.Typer(
    name="flyte",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Talk to a Flyte API (the local stack or a deployed one) through the links of /v1.",
    epilog="Output: tables on a terminal, JSON when piped; choose with -o table|json|yaml.",
)
app.add_typer(flows.app, name="flows")
app.add_typer(events.app, name="events")
app.add_typer(packs.app, name="packs")
app.add_typer(datastore.app, name="datastore")
app.add_typer(audit.app, name="audit")
app.add_typer(token.app, name="token")
app.add_typer(secrets.app, name="secrets")
app.add_typer(schedules.app, name="schedules")
app.add_typer(hooks.app, name="hooks")
app.command("export")(backup.export_data)
app.command("import")(backup.import_data)
app.command("status")(status.status)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"flyte {__version__}")
        raise typer.Exit()


@app.callback()
def configure(
    ctx: typer.Context,
    api: Annotated[
        str | None,
        typer.Option(
            "--api",
            envvar="FLYTE_API",
            help=f"The Flyte API's base URL (default: the profile's, else {DEFAULT_API}).",
            show_default=False,
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="FLYTE_JWT", help="A token sent as 'Authorization: Bearer'.", show_default=False),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            envvar="FLYTE_PROFILE",
            help="A profile of the config file ($FLYTE_CONFIG, else ~/.config/flyte/config.yaml) giving api and token.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    if ctx.resilient_parsing:  # shell completion: completers connect themselves, quietly
        return
    ctx.obj = profiles.connect(api, token, profile)


def main() -> None:
    try:
        app(prog_name="flyte")
    except CliFailure as failure:
        output.report(failure)
        sys.exit(1)
