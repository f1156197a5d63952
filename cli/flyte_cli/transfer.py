"""Flows and datastore items out of one API and into another: `flyte export`, `flyte import FILE` and
`flyte import --from URL` (the original Go server's API).

Everything goes through the HTTP API and its links, as every command does. Reading: the flows list,
each flow's versions (`GET /v1/flows/{name}/versions`, or the current version where a server has no
such route, as the original), the datastore list and each raw value, and with `--audit` the audit's
executions. Writing: `POST /v1/flows` per version, oldest first, and a multipart `PUT` per item.

An import first checks everything against the target without writing (`plan`): each flow version by
the API's own validation (the dry-run endpoint), each item against the documented limits, what the
target already holds (skipped when equal). Only then does `run` write, one request per version or
item, so nothing is ever half-written.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .api import Api, NotOffered, Refused, find_link, item
from .archive import Archive, FlowRecord, ItemRecord, Writer

# The datastore's documented limits (api-contract §7, README "Limits"): items beyond them are refused
# before anything is written, rather than by the PUT halfway through an import.
MAX_VALUE_BYTES = 350_000
MAX_KEY_BYTES = 1024
MAX_DESCRIPTION_BYTES = 4096
MAX_CONTENT_TYPE_CHARACTERS = 1024
AUDIT_PAGE = 1000  # the audit's largest page
# A dry run with an event no step waits for: the API validates the flow as POST /v1/flows does and
# evaluates nothing.
CHECK_EVENT: dict[str, Any] = {"packName": "flyte-import", "event": "flyte-import-check", "packLabels": {}, "payload": None}

Progress = Callable[[str], None]


# --- comparing flows ---------------------------------------------------------------------------------


def canonical(flow: Any) -> Any:
    """A flow as the API stores it (its normal form: empty fields left out, a step's id "" when it
    has none, `command.input` always there), without links or who posted it: two flows that store
    the same compare equal, whichever server or version wrote them."""
    if not isinstance(flow, dict) or not isinstance(flow.get("steps"), list):
        return flow
    shaped: dict[str, Any] = {"name": flow.get("name")}
    if flow.get("description"):
        shaped["description"] = flow["description"]
    shaped["steps"] = [_canonical_step(step) for step in flow["steps"]]
    return shaped


def _canonical_step(step: Any) -> Any:
    if not isinstance(step, dict) or not isinstance(step.get("event"), dict) or not isinstance(step.get("command"), dict):
        return step
    event, command = step["event"], step["command"]
    shaped: dict[str, Any] = {"id": step.get("id") or ""}
    shaped["event"] = {"name": event.get("name"), "packName": event.get("packName")}
    if event.get("packLabels"):
        shaped["event"]["packLabels"] = event["packLabels"]
    for key in ("dependsOn", "context", "criteria"):
        if step.get(key):
            shaped[key] = step[key]
    shaped["command"] = {"name": command.get("name"), "packName": command.get("packName")}
    if command.get("packLabels"):
        shaped["command"]["packLabels"] = command["packLabels"]
    shaped["command"]["input"] = command.get("input")
    return shaped


def postable(flow: dict[str, Any]) -> dict[str, Any]:
    """The document to post: the flow without what the server adds to its representations."""
    return {key: value for key, value in flow.items() if key not in ("links", "createdBy")}


# --- reading -----------------------------------------------------------------------------------------


def flow_versions(api: Api, name: str) -> tuple[list[dict[str, Any]], bool] | None:
    """A flow's versions, oldest first, each {"uuid", "createdAt", "current", "flow"}, and whether they
    are all of them (False: only the current one, from a server that lists no versions, such as the
    original); None when there is no such flow."""
    flow_url = item(api.flows(), name)
    try:
        return api.get_list(f"{flow_url}/versions", "versions")["versions"], True
    except (NotOffered, Refused) as refusal:
        if isinstance(refusal, Refused) and refusal.status not in (404, 405):
            raise
    try:  # no such route here (a 404 of the route, not of the flow), or no such flow
        return [{"current": True, "flow": postable(api.get_json(flow_url))}], False
    except Refused as refused:
        if refused.status == 404:
            return None
        raise


def read_item(api: Api, entry: dict[str, Any]) -> ItemRecord | None:
    """A datastore item from its list entry and its raw value; None when it went away meanwhile."""
    key = entry["key"]
    try:
        response = api.request("GET", item(api.datastore(), key), headers={"Accept": "*/*"})
    except Refused as refused:
        if refused.status == 404:
            return None
        raise
    content_type = entry.get("contentType") or response.headers.get("Content-Type") or "application/octet-stream"
    return ItemRecord(key, content_type, response.content, entry.get("description") or None)


def export(api: Api, writer: Writer, audit: bool, progress: Progress) -> list[str]:
    """Writes the API's flows (every version), datastore items and, with `audit`, executions; returns
    notes for the user (what could not be read as asked)."""
    notes: list[str] = []
    names = [entry["name"] for entry in api.get_list(api.flows(), "flows")["flows"]]
    only_current = False
    for number, name in enumerate(names, 1):
        found = flow_versions(api, name)
        if found is None:
            notes.append(f"flow {name} was deleted while exporting: not in the file")
            continue
        versions, complete = found
        only_current = only_current or not complete
        writer.flow(name, [{key: v[key] for key in ("uuid", "createdAt", "flow") if key in v} for v in versions])
        progress(f"flow {name}: {len(versions)} version{'' if len(versions) == 1 else 's'} ({number}/{len(names)})")
    if only_current:
        notes.append(f"{api.base_url} lists no flow versions (GET /v1/flows/{{name}}/versions): only current versions exported")
    entries = api.get_list(api.datastore(), "datastore")["datastore"]
    for number, entry in enumerate(entries, 1):
        found_item = read_item(api, entry)
        if found_item is None:
            notes.append(f"datastore item {entry['key']} was deleted while exporting: not in the file")
            continue
        writer.item(found_item)
        progress(f"datastore {entry['key']}: {found_item.content_type}, {len(found_item.value)} bytes ({number}/{len(entries)})")
    if audit:
        for execution in executions(api):
            writer.execution(execution)
        progress(f"audit: {writer.counts['executions']} executions")
    return notes


def executions(api: Api) -> list[dict[str, Any]]:
    """Every execution of the audit, each whole (a list cuts large values; those are read again)."""
    seen: dict[str, dict[str, Any]] = {}
    start = 0
    while True:
        page = api.get_json(api.audit_flows(), params={"start": start, "limit": AUDIT_PAGE})
        listed = page.get("flows") or []
        for execution in listed:
            whole = execution
            if _is_cut(execution):
                whole = api.get_json(
                    find_link(execution.get("links", []), "self") or item(api.audit_flows(), execution["correlationId"])
                )
            seen.setdefault(whole["correlationId"], whole)
        following = find_link(page.get("links", []), "next")
        if following:
            start = int(following.rsplit("start=", 1)[1].split("&", 1)[0])
        elif len(listed) == AUDIT_PAGE:
            start += AUDIT_PAGE
        else:
            return list(seen.values())


def _is_cut(value: Any) -> bool:
    if isinstance(value, dict):
        return (value.get("truncated") is True and "href" in value) or any(_is_cut(v) for v in value.values())
    if isinstance(value, list):
        return any(_is_cut(v) for v in value)
    return False


def read_original(source: Api, progress: Progress) -> tuple[Archive, list[str]]:
    """Flows (their current versions: the original keeps no history it shows) and datastore items
    through the original's own API, as `flyte export` would have written them."""
    archive = Archive(header={"source": source.base_url})
    notes = []
    names = [entry["name"] for entry in source.get_list(source.flows(), "flows")["flows"]]
    for name in names:
        try:
            flow = source.get_json(item(source.flows(), name))
        except Refused as refused:
            if refused.status != 404:
                raise
            notes.append(f"flow {name} is listed by {source.base_url} but not there (404): not imported")
            continue
        archive.flows.append(FlowRecord(name, [{"flow": postable(flow)}]))
    progress(f"read {len(archive.flows)} flows from {source.base_url}")
    for entry in source.get_list(source.datastore(), "datastore")["datastore"]:
        found_item = read_item(source, entry)
        if found_item is None:
            notes.append(f"datastore item {entry['key']} is listed by {source.base_url} but not there (404): not imported")
            continue
        archive.items.append(found_item)
    progress(f"read {len(archive.items)} datastore items from {source.base_url}")
    return archive, notes


# --- importing ---------------------------------------------------------------------------------------


@dataclass
class Refusal:
    what: str  # "flow" or "datastore item"
    name: str
    reason: str


@dataclass
class Plan:
    flows: list[tuple[FlowRecord, list[dict[str, Any]]]] = field(default_factory=list)  # the versions to post
    items: list[tuple[ItemRecord, bool]] = field(default_factory=list)  # (item, replaces one)
    unchanged_flows: list[str] = field(default_factory=list)
    unchanged_items: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    unchecked: bool = False  # the target has no dry run: flows are checked when posted


def plan(api: Api, archive: Archive, progress: Progress) -> Plan:
    """What importing would change, checked against the target without writing anything."""
    result = Plan()
    for flow in archive.flows:
        _plan_flow(api, flow, result)
    progress(f"checked {len(archive.flows)} flows against {api.base_url}")
    present = {entry["key"]: entry for entry in api.get_list(api.datastore(), "datastore")["datastore"]}
    for record in archive.items:
        _plan_item(api, record, present.get(record.key), result)
    progress(f"checked {len(archive.items)} datastore items against {api.base_url}")
    return result


def _plan_flow(api: Api, flow: FlowRecord, result: Plan) -> None:
    versions = [postable(version["flow"]) for version in flow.versions]
    try:
        found = flow_versions(api, flow.name)
    except Refused as refused:
        if refused.status != 400:
            raise
        result.refused.append(Refusal("flow", flow.name, _reason(refused)))
        return
    history = [canonical(postable(version["flow"])) for version in found[0]] if found else []
    current = next((canonical(postable(v["flow"])) for v in (found[0] if found else []) if v.get("current")), None)
    if current == canonical(versions[-1]):
        result.unchanged_flows.append(flow.name)
        return
    # The versions the target's history lacks, from the first one missing; when it has them all but
    # its current version is another (edited since, or deleted), the file's newest version once more.
    # So importing again, or a newer export of the same stack, adds only what is new.
    held = 0
    for version in history:
        if held < len(versions) and version == canonical(versions[held]):
            held += 1
    to_post = versions[held:] or versions[-1:]
    for version in to_post:
        reason = _check_flow(api, version, result)
        if reason:
            result.refused.append(Refusal("flow", flow.name, reason))
            return
    result.flows.append((flow, to_post))


def _check_flow(api: Api, flow: dict[str, Any], result: Plan) -> str | None:
    """The API's reason for refusing the flow (a dry run stores nothing), or None."""
    if result.unchecked:
        return None
    try:
        api.call("POST", api.flow_test(), json={"flow": flow, "event": CHECK_EVENT}, offered_as="dry runs of flows")
    except NotOffered:
        result.unchecked = True
    except Refused as refused:
        if refused.status in (400, 413):
            return _reason(refused)
        raise
    return None


def _plan_item(api: Api, record: ItemRecord, present: dict[str, Any] | None, result: Plan) -> None:
    reason = item_refusal(record)
    if reason:
        result.refused.append(Refusal("datastore item", record.key, reason))
        return
    if present is not None and present.get("contentType") == record.content_type:
        if (present.get("description") or None) == record.description:
            try:
                stored = api.request("GET", item(api.datastore(), record.key), headers={"Accept": "*/*"}).content
            except Refused as refused:
                if refused.status != 404:
                    raise
                stored = None
            if stored == record.value:
                result.unchanged_items.append(record.key)
                return
    result.items.append((record, present is not None))


def item_refusal(record: ItemRecord) -> str | None:
    """Why the API would refuse the item (its documented limits), or None."""
    key_bytes = len(record.key.encode("utf-8", "surrogatepass"))
    if key_bytes > MAX_KEY_BYTES:
        return f"the key has {key_bytes} bytes; this API takes keys of at most {MAX_KEY_BYTES}"
    if "/" in record.key or record.key in (".", "..") or not record.key.strip():
        return "this API takes no key that is blank, '.', '..' or holds '/' (a key is one URL path segment)"
    if any(
        unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") or (unicodedata.category(c) == "Zs" and c != " ")
        for c in record.key
    ):
        return "the key holds control or invisible characters, which this API refuses in keys"
    if not record.value:
        return "the value is empty; this API stores no empty items"
    if len(record.value) > MAX_VALUE_BYTES:
        return f"the value has {len(record.value)} bytes; this API holds at most {MAX_VALUE_BYTES} per item"
    if len(record.content_type) > MAX_CONTENT_TYPE_CHARACTERS or any(not 0x20 <= ord(c) < 0x7F for c in record.content_type):
        return (
            f"the content type {record.content_type!r} is not printable ASCII of at most {MAX_CONTENT_TYPE_CHARACTERS} characters"
        )
    if record.description and len(record.description.encode("utf-8", "surrogatepass")) > MAX_DESCRIPTION_BYTES:
        return f"the description has more than {MAX_DESCRIPTION_BYTES} bytes"
    return None


def _reason(refused: Refused) -> str:
    problem = refused.problem
    where = [f"{key} {problem[key]}" for key in ("field", "stepId", "line", "column") if problem.get(key) not in (None, "")]
    return f"{refused} ({', '.join(where)})" if where else str(refused)


@dataclass
class Outcome:
    flows: int = 0
    versions: int = 0
    created: int = 0
    replaced: int = 0
    refused: list[Refusal] = field(default_factory=list)  # refused while writing


def run(api: Api, chosen: Plan, progress: Progress) -> Outcome:
    """Writes the plan: each flow's versions oldest first, then each item; a refusal at this point
    (the API answered 4xx to what passed the checks) skips that flow's later versions or that item
    and is reported."""
    outcome = Outcome()
    for flow, versions in chosen.flows:
        written = 0
        for version in versions:
            try:
                api.request("POST", api.flows(), json=version)
            except Refused as refused:
                if not _refuses_the_item(refused):
                    raise
                outcome.refused.append(Refusal("flow", flow.name, _reason(refused)))
                break
            written += 1
        if written:
            outcome.flows += 1
            outcome.versions += written
            progress(f"flow {flow.name}: {written} version{'' if written == 1 else 's'} written")
    for record, _ in chosen.items:
        form: dict[str, Any] = {"value": ("value", record.value, record.content_type)}
        if record.description is not None:
            form["description"] = (None, record.description.encode("utf-8"), "text/plain; charset=utf-8")
        try:
            response = api.request("PUT", item(api.datastore(), record.key), files=form)
        except Refused as refused:
            if not _refuses_the_item(refused):
                raise
            outcome.refused.append(Refusal("datastore item", record.key, _reason(refused)))
            continue
        created = response.status_code == 201
        outcome.created += created
        outcome.replaced += not created
        progress(
            f"datastore {record.key}: {'created' if created else 'replaced'} ({record.content_type}, {len(record.value)} bytes)"
        )
    return outcome


def _refuses_the_item(refused: Refused) -> bool:
    """A 4xx about what was sent; not one about who sent it (401, 403: the import stops) or a 5xx."""
    return 400 <= refused.status < 500 and refused.status not in (401, 403)
