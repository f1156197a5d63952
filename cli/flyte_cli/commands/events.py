"""`flyte events send|why|list`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Group
from rich.text import Text

from .. import completion, documents, outcomes
from ..api import Api, CliFailure, item, last_segment
from ..output import OutputOption, emit, labels, new_table

app = typer.Typer(help="Events: send one as a pack, see why it did or did not fire.", no_args_is_help=True)

EVENT_REL = "#/event"  # the rel of a pack's event link, `<api>/swagger#/event` (api-contract §3.2)


@app.command("send")
def send_event(
    ctx: typer.Context,
    pack_id: Annotated[
        str, typer.Argument(metavar="PACK_ID", help="The registered pack that sends it.", autocompletion=completion.packs)
    ],
    event: Annotated[str, typer.Argument(metavar="EVENT", help="The event's name.")],
    payload: Annotated[
        str | None, typer.Option("--payload", "-p", help="JSON, or @FILE (@- for stdin).", show_default=False)
    ] = None,
    output: OutputOption = None,
) -> None:
    """Post an event as a registered pack; prints the event id and its trace link. When the API cannot
    answer (503, no connection) it is sent again, with the same Idempotency-Key, so it is stored once."""
    api: Api = ctx.obj
    body = {"event": event, "payload": documents.payload(payload)}
    pack = api.get_json(item(api.packs(), pack_id))
    events_url = next((link["href"] for link in pack.get("links", []) if str(link.get("rel", "")).endswith(EVENT_REL)), None)
    if events_url is None:
        raise CliFailure(f"Pack {pack_id} has no event link.")
    response = api.post_once(events_url, json=body)  # retried with one Idempotency-Key: sent once
    trace = response.headers.get("Location")
    emit({"eventId": last_segment(trace) if trace else None, "trace": trace}, output, _sent_view)


def _sent_view(sent: dict[str, Any]) -> str:
    if not sent["trace"]:  # a server without traces (before issue 12) answers a bare 202
        return "Event accepted (this API does not report event ids or traces)"
    return f"Event {sent['eventId']} accepted\nTrace: {sent['trace']}  (flyte events why {sent['eventId']})"


@app.command("why")
def why(ctx: typer.Context, event_id: Annotated[str, typer.Argument(metavar="EVENT_ID")], output: OutputOption = None) -> None:
    """Why an event did or did not fire: every step of every flow it concerned, with its outcome."""
    api: Api = ctx.obj
    trace = api.get_json(item(api.audit_events(), event_id), offered_as="event traces")
    emit(trace, output, _trace_view)


def _trace_view(trace: dict[str, Any]):
    pack = trace.get("pack") or {}
    heading = Text(
        f"Event {trace.get('id')}: {pack.get('name', '')}.{trace.get('event', '')}"
        f"{' {' + labels(pack.get('labels')) + '}' if pack.get('labels') else ''}"
        f" received {trace.get('receivedAt', '')}, {trace.get('status', '')}"
    )
    flows = trace.get("flows") or []
    if not flows:
        return Group(
            heading,
            Text(
                "No flow is triggered by this event."
                if trace.get("status") != "pending"
                else "Not processed yet: try again in a moment."
            ),
        )
    table = new_table("FLOW", "STEP", "OUTCOME", "REASON", "DETAIL", "COMMAND")
    for flow in flows:
        for step in flow.get("steps", []):
            table.add_row(flow.get("name"), *outcomes.row(step))
    return Group(heading, table)


@app.command("list")
def list_events(
    ctx: typer.Context,
    pack: Annotated[str | None, typer.Option("--pack", help="Only events of packs with this name.", show_default=False)] = None,
    event: Annotated[str | None, typer.Option("--event", help="Only events with this name.", show_default=False)] = None,
    start: Annotated[int, typer.Option("--start", min=0, help="Skip this many (paging).")] = 0,
    limit: Annotated[int | None, typer.Option("--limit", min=1, max=1000, show_default=False)] = None,
    output: OutputOption = None,
) -> None:
    """Received events, newest first, with how many steps each fired."""
    api: Api = ctx.obj
    params = {
        key: value
        for key, value in {"packName": pack, "event": event, "start": start or None, "limit": limit}.items()
        if value is not None
    }
    body = api.get_json(api.audit_events(), params=params, offered_as="the event audit")
    emit(body, output, _events_table)


def _events_table(body: dict[str, Any]):
    table = new_table("ID", "PACK", "EVENT", "RECEIVED", "STATUS", "FIRED")
    for event in body.get("events", []):
        pack = event.get("pack") or {}
        fired = next((event[key] for key in ("firedSteps", "fired", "firedCount", "stepsFired") if key in event), "")
        table.add_row(
            event.get("id"),
            pack.get("name") or event.get("packName", ""),
            event.get("event"),
            event.get("receivedAt"),
            event.get("status"),
            str(fired),
        )
    return table
