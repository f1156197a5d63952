"""`flyte export FILE` and `flyte import FILE | --from URL`: backup, restore, and moving in from the
original Flyte server (the file format is in archive.py, the reading and writing in transfer.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
import yaml

from .. import archive, transfer
from ..api import Api, CliFailure
from ..output import done, err, warn


def progress(line: str) -> None:
    err.print(line, markup=False, highlight=False)


def export_data(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="The file to write (JSON Lines; '-' for stdout).")],
    audit: Annotated[bool, typer.Option("--audit", help="Also the audit: every flow execution, whole.")] = False,
) -> None:
    """Back up flows (every version), the datastore and, with --audit, the audit to one file.

    JSON Lines; `flyte import FILE` loads it into any stack."""
    api: Api = ctx.obj
    writer = archive.Writer(file, api.base_url, audit)
    try:
        notes = transfer.export(api, writer, audit, progress)
        writer.finish()
    except BaseException:
        writer.abandon()
        raise
    for note in notes:
        warn(note)
    counts = writer.counts
    summary = (
        f"Exported {count(counts['flows'], 'flow')} ({count(counts['flowVersions'], 'version')}), "
        f"{count(counts['datastoreItems'], 'datastore item')}"
        + (f" and {count(counts['executions'], 'execution')}" if audit else "")
        + f" from {api.base_url} to {'stdout' if file == '-' else file}"
    )
    if file == "-":
        progress(summary)
    else:
        done(summary)


def import_data(
    ctx: typer.Context,
    file: Annotated[
        str | None, typer.Argument(metavar="[FILE]", help="A file of `flyte export` ('-' for stdin).", show_default=False)
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--from", help="The URL of an original Flyte server: its flows and datastore come across.", show_default=False
        ),
    ] = None,
    source_token: Annotated[
        str | None,
        typer.Option("--from-token", envvar="FLYTE_FROM_JWT", help="A token for the --from server.", show_default=False),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report only; write nothing.")] = False,
    skip_refused: Annotated[
        bool, typer.Option("--skip-refused", help="Import what the API takes even when it refuses some flows or items.")
    ] = False,
    save_refused: Annotated[
        Path | None,
        typer.Option(
            "--save-refused", metavar="DIR", help="Write each refused flow to DIR/NAME.yaml, to fix it.", show_default=False
        ),
    ] = None,
) -> None:
    """Load an export, or an original Flyte server's flows and datastore (--from URL).

    Idempotent: what the API already holds is skipped. Everything is checked first; if the API
    refuses anything, nothing is written (unless --skip-refused)."""
    api: Api = ctx.obj
    if (file is None) == (source is None):
        raise typer.BadParameter(
            "give either FILE (an export) or --from URL (an original Flyte server)", param_hint="FILE / --from"
        )
    notes: list[str] = []
    if file is not None:
        loaded = archive.read(file)
        progress(
            f"{file}: {_counted(loaded.counts())}, exported from {loaded.header.get('source')} at {loaded.header.get('exportedAt')}"
        )
    else:
        assert source is not None  # exactly one of FILE and --from, checked above
        loaded, notes = transfer.read_original(Api(source, source_token, api.timeout), progress)
    for note in notes:
        warn(note)

    plan = transfer.plan(api, loaded, progress)
    for name in plan.unchanged_flows:
        progress(f"flow {name}: unchanged, skipped")
    for key in plan.unchanged_items:
        progress(f"datastore {key}: unchanged, skipped")
    for refusal in plan.refused:
        err.print(f"refused: {refusal.what} {refusal.name}: {refusal.reason}", markup=False, highlight=False)
    if plan.refused and save_refused is not None:
        _save(loaded, plan, save_refused)
    if plan.unchecked:
        warn(f"{api.base_url} offers no dry run of flows: each flow is checked only when posted")
    if dry_run:
        for record, versions in plan.flows:
            progress(f"flow {record.name}: would write {count(len(versions), 'version')}")
        for item, replaces in plan.items:
            progress(
                f"datastore {item.key}: would {'replace' if replaces else 'create'} ({item.content_type}, {len(item.value)} bytes)"
            )
        done(
            f"Dry run against {api.base_url}, nothing written: would write {count(len(plan.flows), 'flow')} "
            f"({count(sum(len(v) for _, v in plan.flows), 'version')}) and {count(len(plan.items), 'datastore item')}; "
            f"{len(plan.unchanged_flows) + len(plan.unchanged_items)} unchanged; {len(plan.refused)} refused."
        )
        if plan.refused:
            raise typer.Exit(1)
        return
    if plan.refused and not skip_refused:
        raise CliFailure(
            f"{api.base_url} refuses {_refused(plan.refused)} (above), so nothing was imported. Fix them and import again "
            "(a flow: `flyte flows test -f FLOW.yaml --event EVENT.json` checks it and stores nothing; --save-refused DIR "
            "writes the refused flows as files), or import the rest with --skip-refused."
        )

    outcome = transfer.run(api, plan, progress)
    for refusal in outcome.refused:
        err.print(f"refused while writing: {refusal.what} {refusal.name}: {refusal.reason}", markup=False, highlight=False)
    refused = plan.refused + outcome.refused
    done(
        f"Imported into {api.base_url}: {count(outcome.flows, 'flow')} ({count(outcome.versions, 'version')}), "
        f"{count(outcome.created, 'datastore item')} created and {outcome.replaced} replaced; skipped as unchanged: "
        f"{count(len(plan.unchanged_flows), 'flow')} and {count(len(plan.unchanged_items), 'datastore item')}"
        + (f"; refused, not imported: {_refused(refused)}" if refused else "")
        + "."
    )
    if loaded.executions:
        progress(
            f"The file's {count(len(loaded.executions), 'execution')} (the audit) stay in the file: an API records "
            "executions only as its flows run, so they are not imported."
        )
    if refused:
        raise typer.Exit(1)


def _counted(counts: dict[str, int]) -> str:
    return (
        f"{count(counts['flows'], 'flow')} ({count(counts['flowVersions'], 'version')}), "
        f"{count(counts['datastoreItems'], 'datastore item')}, {count(counts['executions'], 'execution')}"
    )


def _refused(refused: list[transfer.Refusal]) -> str:
    flows = sum(refusal.what == "flow" for refusal in refused)
    items = len(refused) - flows
    return " and ".join(
        part for part in (count(flows, "flow") if flows else "", count(items, "datastore item") if items else "") if part
    )


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _save(loaded: archive.Archive, plan: transfer.Plan, directory: Path) -> None:
    """Each refused flow's newest version as YAML, to edit and check with `flyte flows test -f`."""
    refused = {refusal.name for refusal in plan.refused if refusal.what == "flow"}
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for record in loaded.flows:
            if record.name in refused:
                path = directory / (re.sub(r"[^\w.-]", "_", record.name) + ".yaml")
                flow = transfer.postable(record.versions[-1]["flow"])
                path.write_text(yaml.safe_dump(flow, sort_keys=False, allow_unicode=True), encoding="utf-8")
                progress(f"flow {record.name}: saved to {path}")
    except OSError as error:
        raise typer.BadParameter(f"cannot write to {directory}: {error.strerror or error}", param_hint="--save-refused") from None
