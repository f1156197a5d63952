"""Packs: registration rules, ids and representations (api-contract §3)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import bounds
from .errors import InvalidInput
from .links import item_link, link, paged_list, query_value, segment

TAKE_ACTION_REL = "swagger#!/action/takeAction"
# Issue 21: the long poll that parks no function (API Gateway waits on the pack's queue); then a take
# claims what came. Only this engine's SDK follows it; the original's clients ignore unknown links.
ACTION_READY_REL = "swagger#!/action/actionReady"
EVENT_REL = "swagger#/event"
# The original's regex is unanchored, so it also refused rels merely containing "up" or "self"
# (`setup`, `group`); here only the rels the API itself adds are reserved.
RESERVED_REL = re.compile(r"^(up|self)$|/actionResult$|/takeAction$|/actionReady$|/event$")
LIVE_FOR = timedelta(minutes=10)
WARNING_FOR = timedelta(hours=24)


@dataclass
class Delivery:
    """Where a push pack's actions go (issue 20): its URL, its signing secret as stored (sealed:
    encrypted, never shown), and the API URL it registered through, where its result links point."""

    url: str
    sealed_secret: str
    api_base: str
    new_secret: str | None = None  # a secret the engine made in this registration: shown once, in the 201


@dataclass
class Pack:
    id: str
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    last_seen: datetime | None = None
    queue_url: str = ""
    registered_by: dict[str, str] | None = None  # who registered it, when auth is on
    delivery: Delivery | None = None  # push delivery; None: the pack long-polls its queue


def pack_id(name: str, labels: Mapping[str, str]) -> str:
    """`name` then `.key.value` for each label in key order: `Shell` + {ABC: 123} -> `Shell.ABC.123`."""
    return name + "".join(f".{key}.{labels[key]}" for key in sorted(labels))


def labels_include(offered: Mapping[str, str], required: Mapping[str, str]) -> bool:
    """True when every required label is offered with the same value (empty requirements match any pack)."""
    return all(offered.get(key) == value for key, value in required.items())


def parse_registration(body: Any) -> Pack:
    """Validate a POST /v1/packs body and return the pack it registers."""
    if not isinstance(body, dict):
        raise InvalidInput("A pack registration must be a JSON object.", field="")
    bounds.check_size(body, bounds.MAX_PACK_BYTES, what="pack registration")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("The pack needs a non-empty string 'name'.", field="name")
    bounds.check_name(name, "name", what="pack name")
    labels = _string_map(body.get("labels"), "labels")
    for key, value in labels.items():
        _check_label_part(key, "labels", "label key")
        _check_label_part(value, bounds.member("labels", key), "label value", allow_empty=True)
    links = _links(body.get("links"), "links")
    for index, pack_link in enumerate(links):
        if RESERVED_REL.search(pack_link.get("rel", "")):
            raise InvalidInput(
                f"Link rel {pack_link.get('rel')!r} is reserved for links the API adds.", field=f"links[{index}].rel"
            )
    commands = []
    for index, command in enumerate(_list(body.get("commands"), "commands")):
        where = f"commands[{index}]"
        if not isinstance(command, dict):
            raise InvalidInput("A command must be an object.", field=where)
        commands.append(
            {
                "name": _name(command.get("name"), f"{where}.name", "command name"),
                "events": [
                    _name(event, f"{where}.events[{i}]", "event name")
                    for i, event in enumerate(_list(command.get("events"), f"{where}.events"))
                ],
                "links": _links(command.get("links"), f"{where}.links"),
            }
        )
    events = []
    for index, event in enumerate(_list(body.get("events"), "events")):
        where = f"events[{index}]"
        if not isinstance(event, dict):
            raise InvalidInput("An event must be an object.", field=where)
        events.append(
            {
                "name": _name(event.get("name"), f"{where}.name", "event name"),
                "links": _links(event.get("links"), f"{where}.links"),
            }
        )
    pack_id_ = pack_id(name, labels)
    size = len(pack_id_.encode("utf-8"))
    if size > bounds.MAX_PACK_ID_BYTES:
        raise InvalidInput(
            f"The pack's name and labels make an id of {size} bytes; at most {bounds.MAX_PACK_ID_BYTES} are allowed.",
            field="labels",
            maxBytes=bounds.MAX_PACK_ID_BYTES,
        )
    return Pack(id=pack_id_, name=name, labels=labels, commands=commands, events=events, links=links)


def _name(value: Any, where: str, what: str) -> str:
    """A command or event name: any visible text (it travels in a query string, encoded), or empty."""
    return bounds.check_name(_string(value, where), where, what=what, path_segment=False, allow_empty=True)


def _check_label_part(value: str, where: str, what: str, allow_empty: bool = False) -> None:
    """Label keys and values become part of the pack id, a URL path segment: no '/'."""
    bounds.check_name(value, where, what=what, path_segment=False, allow_empty=allow_empty)
    if "/" in value:
        raise InvalidInput(f"The {what} must not contain '/': it becomes part of the pack id in URLs.", field=where)


def _list(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"'{where}' must be a list.", field=where)
    return value


def _string(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"'{where}' must be a string.", field=where)
    return value


def _string_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidInput(f"'{where}' must be an object whose values are strings.", field=where)
    return dict(value)


def _links(value: Any, where: str) -> list[dict[str, str]]:
    links = []
    for index, item in enumerate(_list(value, where)):
        if not isinstance(item, dict):
            raise InvalidInput(f"'{where}[{index}]' must be a link object {{href, rel}}.", field=f"{where}[{index}]")
        links.append(
            {
                "href": _string(item.get("href"), f"{where}[{index}].href"),
                "rel": _string(item.get("rel"), f"{where}[{index}].rel"),
            }
        )
    return links


def status(last_seen: datetime | None, now: datetime) -> str:
    if last_seen is None:
        return "critical"
    age = now - last_seen
    if age < LIVE_FOR:
        return "live"
    if age < WARNING_FOR:
        return "warning"
    return "critical"


def pack_url(base: str, pack_id_: str) -> str:
    return f"{base}v1/packs/{segment(pack_id_)}"


def take_url(base: str, pack_id_: str) -> str:
    return f"{pack_url(base, pack_id_)}/actions/take"


def ready_url(base: str, pack_id_: str) -> str:
    return f"{pack_url(base, pack_id_)}/actions/ready"


def representation(pack: Pack, base: str, now: datetime) -> dict[str, Any]:
    """The pack as POST /v1/packs and GET /v1/packs/{id} show it (api-contract §3.2, key order kept)."""
    rep: dict[str, Any] = {"id": pack.id, "name": pack.name}
    if pack.labels:
        rep["labels"] = pack.labels
    if pack.commands:
        rep["commands"] = [
            {
                "name": c["name"],
                "events": c["events"],
                "links": [link(f"{take_url(base, pack.id)}?commandName={query_value(c['name'])}", base + TAKE_ACTION_REL)],
            }
            for c in pack.commands
        ]
    if pack.events:
        rep["events"] = [{"name": e["name"], **({"links": e["links"]} if e["links"] else {})} for e in pack.events]
    rep["lastSeen"] = pack.last_seen
    if pack.registered_by:
        rep["registeredBy"] = pack.registered_by
    if pack.delivery:
        rep["delivery"] = {"url": pack.delivery.url, **({"secret": pack.delivery.new_secret} if pack.delivery.new_secret else {})}
    rep["links"] = [
        *pack.links,
        link(pack_url(base, pack.id), "self"),
        link(f"{base}v1/packs", "up"),
        link(take_url(base, pack.id), base + TAKE_ACTION_REL),
        link(f"{pack_url(base, pack.id)}/events", base + EVENT_REL),
        *([] if pack.delivery else [link(ready_url(base, pack.id), base + ACTION_READY_REL)]),
    ]
    rep["status"] = status(pack.last_seen, now)
    return rep


def list_representation(packs: list[Pack], base: str, now: datetime, start: int = 0) -> dict[str, Any]:
    items = []
    for pack in sorted(packs, key=lambda p: (p.name, p.id)):
        item: dict[str, Any] = {"id": pack.id, "name": pack.name}
        if pack.labels:
            item["labels"] = pack.labels
        item.update(
            lastSeen=pack.last_seen, status=status(pack.last_seen, now), links=[item_link(base, f"v1/packs/{segment(pack.id)}")]
        )
        items.append(item)
    return paged_list(base, "packs", "pack", items, start)


def queue_is_current(prefix: str, queue_url: str) -> bool:
    """Whether a pack's queue is one of this deployment's, under its current queue prefix (its
    functions may use no other); a queue made under an older prefix is not."""
    return bool(queue_url) and queue_url.rstrip("/").rsplit("/", 1)[-1].startswith(prefix)
