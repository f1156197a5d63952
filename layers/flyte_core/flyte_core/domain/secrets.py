"""Secrets referenced by flows (issue 24): names, scopes, and the references an action's input holds.

A flow writes `{{ secret('name') }}` in a command's input. Rendering emits a *marker* for it - a
string that carries a random nonce of this process, so no event, datastore item or other template
output can produce one - and `extract` turns each marker into the mask `«secret:name»` while
recording where it stands (the string's path in the input and the mask's offset in that string).
The action stores the masked input and those positions; only the positions are substituted when a
pack takes the action (`substitute`). A mask that event text happens to contain is text like any
other: no position names it, so it is never replaced.

Pure: no AWS, no templates (the template function only calls `marker`).
"""

from __future__ import annotations

import json
import re
import secrets as _random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import times
from .errors import InvalidInput
from .links import link, paged_list, segment
from .packs import labels_include

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")
NAME_RULE = "1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit"
MAX_DESCRIPTION_CHARS = 300  # what fits, with the scope, in the store's own 1,024-character description
MAX_VALUE_BYTES = 4096

# The nonce is new in every process: a marker cannot be written in advance, only emitted by secret().
_NONCE = _random.token_hex(16)
_MARK_START, _MARK_END = "\x00flyte-secret:", "\x00"
_MARKER = re.compile(re.escape(_MARK_START + _NONCE + ":") + r"([A-Za-z0-9_.-]{1,128})" + re.escape(_MARK_END))


def mask(name: str) -> str:
    """What the stored input, the audit, traces, dry runs and replays show in place of a value."""
    return f"«secret:{name}»"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise InvalidInput(f"A secret's name is {NAME_RULE}; got {name!r}.", field="name")
    return name


def marker(name: str) -> str:
    """What `secret(name)` renders to: replaced by `extract` before anything is stored."""
    return f"{_MARK_START}{_NONCE}:{name}{_MARK_END}"


def holds_marker(text: str) -> bool:
    """Whether secret() output is in the text, also changed (a filter that upper-cased it)."""
    return "\x00" in text and _NONCE in text.lower()


# --- references in an action's input ---------------------------------------------------------------

Path = list[str | int]


def _strings(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, [*path, index])


def _replace_at(value: Any, path: Path, text: str) -> Any:
    if not path:
        return text
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace_at(value[head], rest, text)}
    copy = list(value)
    copy[head] = _replace_at(copy[head], rest, text)  # type: ignore[index]
    return copy


def _at(value: Any, path: Path) -> Any:
    for step in path:
        value = value[step]
    return value


def extract(value: Any) -> tuple[Any, list[dict[str, Any]]]:
    """The input with every marker masked, and the references: `[{path, at: [[offset, name], ...]}]`.

    ValueError when a marker was changed on its way out (a filter applied to secret(), a slice of
    it): the value could then not be put back where the flow meant it."""
    refs: list[dict[str, Any]] = []
    for path, text in list(_strings(value, [])):
        if not holds_marker(text):
            continue
        out: list[str] = []
        spots: list[list[Any]] = []
        position = 0
        length = 0
        for found in _MARKER.finditer(text):
            literal = text[position : found.start()]
            out.append(literal)
            length += len(literal)
            name = found.group(1)
            spots.append([length, name])
            shown = mask(name)
            out.append(shown)
            length += len(shown)
            position = found.end()
        out.append(text[position:])
        masked = "".join(out)
        if holds_marker(masked):
            raise ValueError(
                "secret() must be written into the input as it is ({{ secret('name') }}): "
                "a filter or expression that changes its output cannot be given the value"
            )
        value = _replace_at(value, path, masked)
        refs.append({"path": path, "at": spots})
    return value, refs


def referenced(refs: list[dict[str, Any]] | None) -> list[str]:
    """The secrets an action's input references, each once, in order of appearance."""
    return list(dict.fromkeys(name for ref in refs or [] for _, name in ref["at"]))


def substitute(value: Any, refs: list[dict[str, Any]] | None, values: Mapping[str, str]) -> Any:
    """The input a pack receives: each referenced mask replaced by its value, nothing else touched."""
    for ref in refs or []:
        text = _at(value, ref["path"])
        for offset, name in sorted(ref["at"], key=lambda spot: spot[0], reverse=True):
            shown = mask(name)
            if text[offset : offset + len(shown)] != shown:
                raise ValueError(f"the stored input no longer holds {shown} at {ref['path']}:{offset}")
            text = text[:offset] + values[name] + text[offset + len(shown) :]
        value = _replace_at(value, ref["path"], text)
    return value


def mask_values(value: Any, values: Iterable[tuple[str, str]]) -> Any:
    """A result with every secret value it echoes ((name, value) pairs) replaced by that secret's
    mask, in strings and map keys alike; longer values first, so a value inside another is not split."""
    ordered = sorted(((v, n) for n, v in values if v), key=lambda pair: len(pair[0]), reverse=True)
    if not ordered:
        return value

    def clean(item: Any) -> Any:
        if isinstance(item, str):
            for secret, name in ordered:
                if secret in item:
                    item = item.replace(secret, mask(name))
            return item
        if isinstance(item, dict):
            return {clean(key): clean(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [clean(inner) for inner in item]
        return item

    return clean(value)


# --- scope and metadata ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Who may receive a secret: every constraint given must hold (none given: any pack, any flow)."""

    packs: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    flows: tuple[str, ...] = ()

    def refusal(self, name: str, pack_name: str, pack_labels: Mapping[str, str], flow_name: str) -> str | None:
        """Why a pack running an action of a flow may not receive the secret, or None."""
        if self.packs and pack_name not in self.packs:
            return f"secret {name!r} is limited to packs {', '.join(self.packs)}; pack {pack_name!r} took the action"
        if self.labels and not labels_include(pack_labels, self.labels):
            wanted = ", ".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
            return f"secret {name!r} is limited to packs labelled {wanted}; pack {pack_name!r} has not those labels"
        if self.flows and flow_name not in self.flows:
            return f"secret {name!r} is limited to flows {', '.join(self.flows)}; this action is of flow {flow_name!r}"
        return None

    def as_json(self) -> dict[str, Any]:
        return {"packs": list(self.packs), "labels": dict(self.labels), "flows": list(self.flows)}


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise InvalidInput(f"'{where}' must be a list of names.", field=where)
    return tuple(dict.fromkeys(value))


def parse_scope(value: Any) -> Scope:
    if value is None:
        return Scope()
    if not isinstance(value, dict) or set(value) - {"packs", "labels", "flows"}:
        raise InvalidInput("'scope' is an object with 'packs' (names), 'labels' (a map) and 'flows' (names).", field="scope")
    labels = value.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise InvalidInput("'scope.labels' must be a map of label names to values.", field="scope.labels")
    return Scope(_string_list(value.get("packs"), "scope.packs"), dict(labels), _string_list(value.get("flows"), "scope.flows"))


@dataclass(frozen=True)
class Secret:
    """What the API says about a secret: never its value."""

    name: str
    description: str
    scope: Scope
    changed_by: dict[str, str]
    changed_at: datetime | None
    version: int


@dataclass(frozen=True)
class Upload:
    value: str
    description: str
    scope: Scope


def parse_upload(body: Any) -> Upload:
    """`{value, description?, scope?}`."""
    if not isinstance(body, dict):
        raise InvalidInput("Send a JSON object: {value, description?, scope?}.")
    unknown = set(body) - {"value", "description", "scope"}
    if unknown:
        raise InvalidInput(f"Unknown field(s) {', '.join(sorted(unknown))}: send value, description and scope.")
    value = body.get("value")
    if not isinstance(value, str) or not value:
        raise InvalidInput("'value' must be a non-empty string.", field="value")
    if len(value.encode("utf-8")) > MAX_VALUE_BYTES:
        raise InvalidInput(f"'value' is longer than {MAX_VALUE_BYTES} bytes.", field="value", maxBytes=MAX_VALUE_BYTES)
    if "\x00" in value:
        raise InvalidInput("'value' may not contain NUL characters.", field="value")
    description = body.get("description") or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidInput(f"'description' must be a string of at most {MAX_DESCRIPTION_CHARS} characters.", field="description")
    return Upload(value, description, parse_scope(body.get("scope")))


def describe(upload: Upload, actor: dict[str, str]) -> str:
    """The metadata kept in the store's own description of the value (versioned with it)."""
    text = json.dumps(
        {"description": upload.description, "scope": upload.scope.as_json(), "changedBy": actor},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    if len(text) > 1024:
        raise InvalidInput("The description and scope are too long together (1,024 characters with the author).", field="scope")
    return text


def from_description(name: str, description: str, version: int, changed_at: datetime | None) -> Secret:
    try:
        meta = json.loads(description) if description else {}
    except ValueError:
        meta = {"description": description}
    if not isinstance(meta, dict):
        meta = {}
    scope = meta.get("scope") or {}
    try:
        parsed = parse_scope(scope)
    except InvalidInput:
        parsed = Scope()
    return Secret(name, str(meta.get("description") or ""), parsed, meta.get("changedBy") or {}, changed_at, version)


def secret_url(base: str, name: str) -> str:
    return f"{base}v1/secrets/{segment(name)}"


def representation(secret: Secret, base: str) -> dict[str, Any]:
    return {
        "name": secret.name,
        "description": secret.description,
        "scope": secret.scope.as_json(),
        "version": secret.version,
        "changedBy": secret.changed_by,
        "changedAt": times.format_time(secret.changed_at) if secret.changed_at else None,
        "links": [link(secret_url(base, secret.name), "self")],
    }


def list_representation(found: list[Secret], base: str, start: int = 0) -> dict[str, Any]:
    return paged_list(base, "secrets", "secret", [representation(s, base) for s in found], start)


def history_entry(secret: Secret) -> dict[str, Any]:
    """One version in a secret's history: who set it and when (the audit of rotations)."""
    return {
        "version": secret.version,
        "changedBy": secret.changed_by,
        "changedAt": times.format_time(secret.changed_at) if secret.changed_at else None,
        "description": secret.description,
        "scope": secret.scope.as_json(),
    }


def envelope(upload: Upload) -> str:
    """What the store keeps as the value: the value and its scope, so one read at take time has both."""
    return json.dumps({"value": upload.value, "scope": upload.scope.as_json()}, ensure_ascii=False)


def open_envelope(stored: str) -> tuple[str, Scope]:
    data = json.loads(stored)
    return str(data["value"]), parse_scope(data.get("scope"))
