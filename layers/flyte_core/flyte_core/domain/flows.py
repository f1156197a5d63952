"""Flow documents: validation with clear messages, normalisation, triggers and representations (api-contract §6)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from . import bounds
from .errors import InvalidInput
from .events import FATAL
from .links import item_link, link, paged_list, segment
from .times import format_time

if TYPE_CHECKING:
    from .templating.shellsafety import Interpolation

# Saving a flow is one DynamoDB transaction (at most 100 items): version, current, trigger rows.
MAX_TRIGGERS = 90
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_COMMAND = {
    "type": "object",
    "required": ["name", "packName"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "packName": {"type": "string", "minLength": 1},
        "packLabels": _STRING_MAP,
        "input": {"description": "any JSON value; its strings are templates"},
    },
}

FLOW_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["name", "steps"],
    "properties": {
        # The name is the flow's URL path segment: no slash, no control characters.
        "name": {"type": "string", "minLength": 1, "pattern": "^[^/\\x00-\\x1f\\x7f]+$"},
        "description": {"type": "string"},
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                # A step may go without an id (the original's id ""), but only one step per flow.
                "required": ["event", "command"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[^\\x00]*$"},  # NUL stands for "" in storage
                    "dependsOn": {"type": "array", "items": {"type": "string"}},
                    "event": {
                        "type": "object",
                        "required": ["name", "packName"],
                        "properties": {
                            "name": {"type": "string"},
                            "packName": {"type": "string", "minLength": 1},
                            "packLabels": _STRING_MAP,
                        },
                    },
                    "context": _STRING_MAP,
                    "criteria": {"type": "string"},
                    "command": _COMMAND,
                    # issue 27 (domain/chatops.py): who may start the step, and approvals in chat
                    "actor": {"type": "object", "description": "claims the chat actor needs, e.g. {groups: [sre]}"},
                    "denied": _COMMAND,
                    "approval": {"type": "object", "description": "approvers, claims, selfApproval, timeout (docs/chatops.md)"},
                },
            },
        },
    },
}


@lru_cache(maxsize=1)
def _schema_validator() -> Any:
    import fastjsonschema  # only the flows function pays for it

    return fastjsonschema.compile(FLOW_SCHEMA)


def _field_path(document: Any, path: list) -> str:
    """`steps[0].event` from the validator's path, walking the document to tell list indexes from keys."""
    text, node = "", document
    for part in path[1:]:  # path[0] is "data"
        if isinstance(node, list):
            index = int(part)
            text += f"[{index}]"
            node = node[index] if index < len(node) else None
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


def _schema_message(error: Any, where: str) -> str:
    where = where or "the flow"
    reason = error.message.split(" must ", 1)[-1] if " must " in error.message else error.message
    if error.rule == "pattern" and where == "name":
        return "name must not contain '/' or control characters (it is the flow's URL path)."
    if error.rule == "minLength":
        return f"{where} must not be empty."
    return f"{where} must {reason}."


def parse_flow(document: Any) -> dict[str, Any]:
    """Validate a posted flow document and return its normalised form (unknown keys dropped).

    Raises InvalidInput naming the field and the reason.
    """
    import fastjsonschema

    bounds.check_size(document, bounds.MAX_FLOW_BYTES, what="flow")
    _check_misspelled_keys(document)
    try:
        _schema_validator()(document)
    except fastjsonschema.JsonSchemaValueException as error:
        where = _field_path(document, error.path)
        message, note = _schema_message(error, where), _unknown_keys_note(document, where)
        if note:
            message = f"{message.rstrip('.')}{note}."
        raise InvalidInput(message, field=where, **_step_id(document, where)) from None
    _check_id_less_steps(document)
    flow = normalise(document)
    _check_names(flow)
    if len(triggers(flow)) > MAX_TRIGGERS:
        raise InvalidInput(f"A flow may start on at most {MAX_TRIGGERS} distinct (packName, event) pairs.", field="steps")
    _check_step_ids(flow)
    _check_chat_rules(document, flow)
    _check_templates(flow)
    return flow


def _objects(document: Any) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Each object of a flow document with its field path and its schema (flow, steps, events, commands)."""
    if not isinstance(document, dict):
        return
    yield "", document, FLOW_SCHEMA
    step_schema = FLOW_SCHEMA["properties"]["steps"]["items"]
    steps = document.get("steps")
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict):
            yield f"steps[{index}]", step, step_schema
            for part in ("event", "command", "denied"):
                if isinstance(step.get(part), dict):
                    yield f"steps[{index}].{part}", step[part], step_schema["properties"][part]


def _unknown_keys(node: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    return [key for key in node if key not in schema["properties"]]


def _check_misspelled_keys(document: Any) -> None:
    """Unknown keys are ignored, as by the original, except one that looks like a known key missing
    from its object: a typo that would otherwise silently drop a command, a criteria or a dependency."""
    for where, node, schema in _objects(document):
        missing = {known.lower(): known for known in schema["properties"] if known not in node}
        for key in _unknown_keys(node, schema):
            if not isinstance(key, str):
                continue
            close = difflib.get_close_matches(key.lower(), list(missing), n=1, cutoff=0.8)
            if close:
                field = f"{where}.{key}" if where else key
                raise InvalidInput(
                    f"{field} is not a key of {_object_name(where)}; did you mean '{missing[close[0]]}'?",
                    field=field,
                    **_step_id(document, field),
                )


def _object_name(where: str) -> str:
    if not where:
        return "a flow"
    return {"event": "a step's event", "command": "a step's command", "denied": "a step's denied command"}.get(
        where.rpartition(".")[2], "a step"
    )


def _unknown_keys_note(document: Any, where: str) -> str:
    """Names the unknown keys of the object a schema error is about: often the one meant."""
    for path, node, schema in _objects(document):
        if path == where:
            unknown = [str(key) for key in _unknown_keys(node, schema)]
            if unknown:
                return f" (unknown keys there, ignored: {', '.join(repr(key) for key in unknown)})"
    return ""


def _check_id_less_steps(document: dict[str, Any]) -> None:
    """The original gives a step without an id the id "": one such step is unambiguous, two would share
    their actions, results and dependents."""
    id_less = [index for index, step in enumerate(document["steps"]) if not step.get("id")]
    if len(id_less) > 1:
        listed = ", ".join(f"steps[{index}]" for index in id_less)
        raise InvalidInput(
            f"{listed} have no id: at most one step of a flow may go without one. Steps without an id "
            'all get the id "" (as in the original), so their actions, results and dependsOn could '
            "not be told apart: give each an id.",
            field=f"steps[{id_less[1]}].id",
        )


def _check_names(flow: dict[str, Any]) -> None:
    """The flow's name is a URL path segment; the names in its steps are matched against packs' and
    events' names: all of them visible text of bounded length (domain.bounds.check_name)."""
    bounds.check_name(flow["name"], "name", what="flow name")
    for index, step in enumerate(flow["steps"]):
        where = f"steps[{index}]"
        step_id = {"stepId": step.get("id", "")}
        try:
            bounds.check_name(step.get("id", ""), f"{where}.id", what="step id", path_segment=False, allow_empty=True)
            for part in ("event", "command"):
                for key in ("packName", "name"):
                    bounds.check_name(
                        step[part][key], f"{where}.{part}.{key}", what=f"{part} {key}", path_segment=False, allow_empty=True
                    )
                for label, value in (step[part].get("packLabels") or {}).items():
                    field = bounds.member(f"{where}.{part}.packLabels", label)
                    bounds.check_name(label, field, what="label key", path_segment=False)
                    bounds.check_name(value, field, what="label value", path_segment=False, allow_empty=True)
        except InvalidInput as error:
            error.extra.update(step_id)
            raise


def _step_id(document: Any, where: str) -> dict[str, str]:
    if not where.startswith("steps["):
        return {}
    try:
        index = int(where[len("steps[") : where.index("]")])
        step_id = document["steps"][index].get("id")
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):
        return {}
    return {"stepId": step_id} if isinstance(step_id, str) else {}


def normalise(document: dict[str, Any]) -> dict[str, Any]:
    flow: dict[str, Any] = {"name": document["name"]}
    if document.get("description"):
        flow["description"] = document["description"]
    flow["steps"] = [_normalise_step(step) for step in document["steps"]]
    return flow


def _normalise_step(step: dict[str, Any]) -> dict[str, Any]:
    event, command = step["event"], step["command"]
    out: dict[str, Any] = {"id": step.get("id", "")}
    out["event"] = {"name": event["name"], "packName": event["packName"]}
    if event.get("packLabels"):
        out["event"]["packLabels"] = dict(event["packLabels"])
    if step.get("dependsOn"):
        out["dependsOn"] = list(step["dependsOn"])
    if step.get("context"):
        out["context"] = dict(step["context"])
    if step.get("criteria"):
        out["criteria"] = step["criteria"]
    out["command"] = _normalise_command(command)
    return out


def _normalise_command(command: dict[str, Any]) -> dict[str, Any]:
    out = {"name": command["name"], "packName": command["packName"]}
    if command.get("packLabels"):
        out["packLabels"] = dict(command["packLabels"])
    out["input"] = command.get("input")
    return out


def _check_chat_rules(document: dict[str, Any], flow: dict[str, Any]) -> None:
    """`actor`, `denied` and `approval` of each step (issue 27), checked and kept in normal form."""
    from . import chatops

    for index, (written, step) in enumerate(zip(document["steps"], flow["steps"], strict=True)):
        step.update(chatops.normalise_rules(written, f"steps[{index}]", step["id"], _normalise_command))


def _check_step_ids(flow: dict[str, Any]) -> None:
    seen: dict[str, int] = {}
    for index, step in enumerate(flow["steps"]):
        if step["id"] in seen:
            raise InvalidInput(
                f"Step id {step['id']!r} is used by steps[{seen[step['id']]}] and steps[{index}]; step ids must be unique.",
                field=f"steps[{index}].id",
                stepId=step["id"],
            )
        seen[step["id"]] = index
    for index, step in enumerate(flow["steps"]):
        for position, dependency in enumerate(step.get("dependsOn", [])):
            if dependency not in seen:
                raise InvalidInput(
                    f"dependsOn names step {dependency!r}, which is not in this flow.",
                    field=f"steps[{index}].dependsOn[{position}]",
                    stepId=step["id"],
                )


def template_fields(step: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every templated string of a step, with its field path inside the step."""
    for key, value in step["event"].get("packLabels", {}).items():
        yield f"event.packLabels.{key}", value
    for key, value in step.get("context", {}).items():
        yield f"context.{key}", value
    if "criteria" in step:
        yield "criteria", step["criteria"]
    for part in ("command", "denied") if "denied" in step else ("command",):
        for key, value in step[part].get("packLabels", {}).items():
            yield f"{part}.packLabels.{key}", value
        yield from _input_strings(step[part].get("input"), f"{part}.input")
    if "approval" in step:
        from .chatops import template_fields as approval_fields

        yield from approval_fields(step)


def _input_strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _input_strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _input_strings(item, f"{where}[{index}]")


def _check_templates(flow: dict[str, Any]) -> None:
    from .templating import TemplateError, check, mentions_secret, secret_names

    for index, step in enumerate(flow["steps"]):
        for where, source in template_fields(step):
            try:
                check(source)
                if where.startswith("command.input"):
                    secret_names(source)  # written as it is, with a literal name (issue 24)
                elif mentions_secret(source):
                    raise TemplateError(
                        "secret() may be used only in a command's input (the engine hands its value to the pack "
                        "that runs the command, and nowhere else)"
                    )
            except TemplateError as error:
                position = {k: v for k, v in (("line", error.line), ("column", error.column)) if v is not None}
                at = f" at line {error.line}" if error.line is not None else ""
                at += f", column {error.column}" if error.line is not None and error.column is not None else ""
                raise InvalidInput(
                    f"Step {step['id']!r}, {where}: invalid template{at}: {error.message}",
                    field=f"steps[{index}].{where}",
                    stepId=step["id"],
                    **position,
                ) from None


def trigger_key(pack_name: str, event_name: str) -> str:
    """Key of the trigger index; JSON keeps any pack or event name unambiguous."""
    return json.dumps([pack_name, event_name], ensure_ascii=False)


def trigger_pairs(flow: dict[str, Any]) -> list[tuple[str, str]]:
    """The (pack name, event name) pairs that start a new execution of this flow: steps without dependsOn."""
    return sorted({(s["event"]["packName"], s["event"]["name"]) for s in flow["steps"] if not s.get("dependsOn")})


def triggers(flow: dict[str, Any]) -> list[str]:
    """Keys of the trigger index for this flow."""
    return [trigger_key(pack_name, event_name) for pack_name, event_name in trigger_pairs(flow)]


def flow_url(base: str, name: str) -> str:
    return f"{base}v1/flows/{segment(name)}"


def authored(flow: dict[str, Any], actor: dict[str, str]) -> dict[str, Any]:
    """The flow version with who posted it (`{iss, sub}`, or anonymous); `createdBy` is never taken
    from the posted document, whose unknown keys parse_flow drops."""
    return {**flow, "createdBy": actor}


def representation(flow: dict[str, Any], base: str) -> dict[str, Any]:
    name = flow["name"]
    return {
        **flow,
        "links": [link(flow_url(base, name), "self"), link(f"{base}v1/flows", "up"), link(f"{base}swagger#/flow", "help")],
    }


def list_representation(flows: list[dict[str, Any]], base: str, start: int = 0) -> dict[str, Any]:
    items = []
    for flow in sorted(flows, key=lambda f: f["name"]):
        item: dict[str, Any] = {"name": flow["name"]}
        if flow.get("description"):
            item["description"] = flow["description"]
        item["links"] = [item_link(base, f"v1/flows/{segment(flow['name'])}")]
        items.append(item)
    return paged_list(base, "flows", "flow", items, start)


def version_entry(uuid: str, created_at: datetime, definition: dict[str, Any], current: bool) -> dict[str, Any]:
    """One saved version as `GET /v1/flows/{name}/versions` lists it: the flow as posted (normalised,
    with `createdBy` when auth was on), its uuid (the audit's `flowUUID`), when, and whether current."""
    return {"uuid": uuid, "createdAt": format_time(created_at), "current": current, "flow": definition}


def versions_representation(name: str, entries: list[dict[str, Any]], base: str, start: int, total: int) -> dict[str, Any]:
    """A page of a flow's versions, oldest first (so pages stay put while new versions are saved):
    the entries from `start` that fit a response, and `next` when more follow."""
    page, _ = bounds.page(entries, 0)
    url = f"{flow_url(base, name)}/versions"
    links = [link(url, "self"), link(flow_url(base, name), "up"), link(f"{base}swagger#/flow", "help")]
    following = start + len(page)
    if following < total:
        links.append(link(f"{url}?start={following}", "next"))
    return {"name": name, "versions": page, "links": links}


def upload_warnings(flow: dict[str, Any], registered: dict[str, list[Any]]) -> list[dict[str, str]]:
    """What a flow expects of packs that no registered pack offers: a step waiting for an event no pack
    of that name declares, or a command its pack does not declare. Warnings, not errors: packs may
    register later. `registered` maps each pack name of the flow to the packs registered with it.
    Then the Shell commands whose script writes event or context text unquoted (shell_warnings)."""
    return _pack_warnings(flow, registered) + shell_warnings(flow)


def _pack_warnings(flow: dict[str, Any], registered: dict[str, list[Any]]) -> list[dict[str, str]]:
    warnings = []
    for index, step in enumerate(flow["steps"]):
        where, event, command = f"steps[{index}]", step["event"], step["command"]
        senders = registered.get(event["packName"], [])
        declared_events = (
            {FATAL}
            | {e["name"] for p in senders for e in p.events}
            | {name for p in senders for c in p.commands for name in c["events"]}
        )
        if not senders:
            warnings.append(
                _warning(
                    f"{where}.event.packName",
                    step,
                    f"No pack named {event['packName']!r} is registered: "
                    f"the step waits for its event until one registers and sends {event['name']!r}.",
                )
            )
        elif event["name"] not in declared_events:
            warnings.append(
                _warning(
                    f"{where}.event.name",
                    step,
                    f"No registered pack named {event['packName']!r} declares "
                    f"event {event['name']!r} (they declare {_names(declared_events - {FATAL})}).",
                )
            )
        takers = registered.get(command["packName"], [])
        if not takers:
            warnings.append(
                _warning(
                    f"{where}.command.packName",
                    step,
                    f"No pack named {command['packName']!r} is registered: its actions wait until one registers.",
                )
            )
        elif command["name"] not in {c["name"] for p in takers for c in p.commands}:
            commands = {c["name"] for p in takers for c in p.commands}
            warnings.append(
                _warning(
                    f"{where}.command.name",
                    step,
                    f"No registered pack named {command['packName']!r} declares "
                    f"command {command['name']!r} (they declare {_names(commands)}).",
                )
            )
    return warnings


# The original Shell pack's name: it runs its command input as `bash -c <script>`.
SHELL_PACK = "Shell"
# Warnings about Shell scripts in one answer; one more says how many were left out.
MAX_SHELL_WARNINGS = 20


def shell_script(command: dict[str, Any]) -> tuple[str, str] | None:
    """The field and template of the script a Shell command runs: the input itself, or the `script`
    of the env mode's `{"script", "env"}` (whose `env` values never become shell code)."""
    input_ = command.get("input")
    if isinstance(input_, str):
        return "command.input", input_
    if isinstance(input_, dict) and isinstance(input_.get("script"), str):
        return "command.input.script", input_["script"]
    return None


def shell_warnings(flow: dict[str, Any]) -> list[dict[str, str]]:
    """A warning for each output of a Shell command's script that writes `Event` or `Context` text
    unquoted (templating.unquoted_interpolations): a chat user's `; rm -rf ~` or `$(id)` would run.
    Such flows still upload (the original's flows keep working); the warning names the fix."""
    from .templating import unquoted_interpolations

    warnings: list[dict[str, str]] = []
    more = 0
    for index, step in enumerate(flow["steps"]):
        script = shell_script(step["command"]) if step["command"]["packName"] == SHELL_PACK else None
        if script is None:
            continue
        where, source = script
        for found in unquoted_interpolations(source):
            if len(warnings) < MAX_SHELL_WARNINGS:
                warnings.append(_warning(f"steps[{index}].{where}", step, _shell_detail(found)))
            else:
                more += 1
    if more:
        last = warnings[-1]
        warnings.append(
            {
                "field": last["field"],
                "stepId": last["stepId"],
                "detail": f"{more} more value{'s' if more > 1 else ''} of Shell scripts (here or in later steps) "
                "write event or context text unquoted: quote them too.",
            }
        )
    return warnings


def _shell_detail(found: Interpolation) -> str:
    at = f"line {found.line}" + (f", column {found.column}" if found.column is not None else "")
    what = f"{found.expression} ({at})" if found.expression else f"The value at {at}"
    env_mode = (
        "or use the Shell pack's env mode, which passes values as environment variables: "
        f'"input": {{"script": "... \\"$VALUE\\" ...", "env": {{"VALUE": "{found.expression if found.quoted else "{{ ... }}"}"}}}}.'
    )
    if found.inside:
        return (
            f"{what} is quoted with shellquote but sits inside {found.inside} in the Shell script, where its own "
            "quotes are plain characters (and a newline or, inside double quotes, '$(id)' runs as shell code). "
            f"Fix: remove the quotes around the tag (shellquote makes one word by itself), {env_mode}"
        )
    fix = f"write {found.quoted}" if found.quoted else "output the value as {{ value|shellquote }}"
    return (
        f"{what} writes event or context text into the Shell script unquoted: a value such as "
        f"'; id' or '$(id)' would run as shell code. Fix: {fix}, {env_mode}"
    )


def _warning(field: str, step: dict[str, Any], detail: str) -> dict[str, str]:
    return {"field": field, "stepId": step["id"], "detail": detail}


def _names(names: set[str]) -> str:
    return ", ".join(repr(name) for name in sorted(names)) or "none"
