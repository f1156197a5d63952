"""`flyte status`: is the API there, healthy, accepting this token, and are its packs and actions well (issue 25)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import typer

from ..api import Api, CliFailure, Refused, Unreachable
from ..output import OutputOption, emit, new_table

RECENT_EXECUTIONS = 200  # the newest executions of the audit the action figures are read from
OK, WARN, FAIL = "ok", "warn", "fail"


def _refusal(error: Refused) -> str:
    return f"{error.status}: {error.problem.get('detail') or error.reason}"


def checks(api: Api) -> list[dict[str, Any]]:
    """Each check as {check, state, detail}; the later ones are skipped when the API is not there."""
    found: list[dict[str, Any]] = []

    def add(check: str, state: str, detail: str) -> None:
        found.append({"check": check, "state": state, "detail": detail})

    try:
        api.links()
    except (Unreachable, CliFailure) as error:
        add("api", FAIL, str(error))
        return found
    add("api", OK, f"{api.base_url} answers")
    health = api.link("health") or f"{api.base_url}/health"
    try:
        api.request("GET", health)
        add("health", OK, "its tables answer")
    except Refused as error:
        add("health", FAIL, _refusal(error))
    try:
        packs = api.get_list(api.packs(), "packs")["packs"]
    except Refused as error:
        add(
            "auth", FAIL, f"{'a token is needed' if error.status == 401 else 'this token may not list packs'} ({_refusal(error)})"
        )
        return found
    token = "Authorization" in api.session.headers
    add("auth", OK, "the token is accepted" if token else "no token needed to read")
    states = Counter(pack.get("status") for pack in packs)
    silent = [pack.get("id") for pack in packs if pack.get("status") != "live"]
    detail = f"{states['live']} of {len(packs)} live" + (f"; not seen lately: {', '.join(map(str, silent))}" if silent else "")
    add("packs", WARN if silent or not packs else OK, detail if packs else "no pack is registered")
    try:
        executions = api.get_json(api.audit_flows(), params={"limit": RECENT_EXECUTIONS})["flows"]
    except Refused as error:
        add("actions", WARN, f"the audit is not readable ({_refusal(error)})")
        return found
    actions = [action for execution in executions for action in (execution.get("actions") or {}).values()]
    waiting = Counter((action.get("state") or {}).get("value") for action in actions)
    add("actions waiting", OK, f"{waiting['NEW']} NEW (no pack took them yet), {waiting['PENDING']} PENDING (taken, no result)")
    failed = [
        f"{execution.get('name')}/{step} ({action.get('name')} on {action.get('packName')})"
        for execution in executions
        for step, action in (execution.get("actions") or {}).items()
        if (action.get("state") or {}).get("value") in ("FATAL", "FAILED")
    ]
    add(
        "recent failures",
        WARN if failed else OK,
        f"{len(failed)} in the newest {len(executions)} executions" + (": " + ", ".join(failed[:5]) if failed else ""),
    )
    return found


def status(ctx: typer.Context, output: OutputOption = None) -> None:
    """Check the API: reachable, healthy, the token accepted, packs alive, actions waiting, recent failures.
    Exits 1 when the API is unreachable, unhealthy or refuses the token."""
    api: Api = ctx.obj
    found = checks(api)
    emit({"checks": found}, output, _table)
    if any(check["state"] == FAIL for check in found):
        raise typer.Exit(1)


def _table(body: dict[str, Any]):
    table = new_table("CHECK", "STATE", "DETAIL")
    for check in body["checks"]:
        table.add_row(check["check"], check["state"], check["detail"])
    return table
