"""The export file: what `flyte export` writes and `flyte import` reads, one JSON object per line.

    {"kind": "header", "format": "flyte-export", "formatVersion": 1, "source": URL, "exportedAt": TIME, "exportedBy": "flyte-cli X", "audit": BOOL}
    {"kind": "flow", "name": NAME, "versions": [{"uuid", "createdAt", "flow": {...}}, ...]}      oldest version first
    {"kind": "datastoreItem", "key": KEY, "contentType": TYPE, "description"?: TEXT, "value": BASE64}
    {"kind": "execution", "execution": {...}}                                                   with --audit
    {"kind": "end", "counts": {"flows", "flowVersions", "datastoreItems", "executions"}}

Values are base64 (any bytes survive); the last line counts what came before it, so a file cut
short or edited is refused as a whole before anything is imported. Lines are written to
`FILE.partial` and renamed when the end line is written: a failed export leaves no file that looks
complete.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from . import __version__
from .api import CliFailure

FORMAT = "flyte-export"
FORMAT_VERSION = 1
COUNTED = ("flows", "flowVersions", "datastoreItems", "executions")


@dataclass
class FlowRecord:
    name: str
    versions: list[dict[str, Any]]  # {"flow": definition, "uuid"?: str, "createdAt"?: str}, oldest first


@dataclass
class ItemRecord:
    key: str
    content_type: str
    value: bytes
    description: str | None = None


@dataclass
class Archive:
    header: dict[str, Any] = field(default_factory=dict)
    flows: list[FlowRecord] = field(default_factory=list)
    items: list[ItemRecord] = field(default_factory=list)
    executions: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "flows": len(self.flows),
            "flowVersions": sum(len(flow.versions) for flow in self.flows),
            "datastoreItems": len(self.items),
            "executions": len(self.executions),
        }


class Damaged(CliFailure):
    """The file is not a whole export; nothing of it is imported."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source} is not a complete Flyte export: {reason}. Nothing was imported.")


# --- writing ---------------------------------------------------------------------------------------


class Writer:
    """Writes an export line by line; `finish()` adds the end line and gives the file its name."""

    def __init__(self, path: str, source: str, audit: bool) -> None:
        self.path = path
        self.counts = dict.fromkeys(COUNTED, 0)
        self._partial: Path | None = None
        if path == "-":
            self._stream: IO[bytes] = sys.stdout.buffer
        else:
            self._partial = Path(f"{path}.partial")
            self._stream = open(self._partial, "wb")  # noqa: SIM115 (closed by finish or abandon)
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        self._line(
            {
                "kind": "header",
                "format": FORMAT,
                "formatVersion": FORMAT_VERSION,
                "source": source,
                "exportedAt": now,
                "exportedBy": f"flyte-cli {__version__}",
                "audit": audit,
            }
        )

    def _line(self, record: dict[str, Any]) -> None:
        self._stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")

    def flow(self, name: str, versions: list[dict[str, Any]]) -> None:
        self._line({"kind": "flow", "name": name, "versions": versions})
        self.counts["flows"] += 1
        self.counts["flowVersions"] += len(versions)

    def item(self, item: ItemRecord) -> None:
        record: dict[str, Any] = {"kind": "datastoreItem", "key": item.key, "contentType": item.content_type}
        if item.description is not None:
            record["description"] = item.description
        record["value"] = base64.b64encode(item.value).decode("ascii")
        self._line(record)
        self.counts["datastoreItems"] += 1

    def execution(self, execution: dict[str, Any]) -> None:
        self._line({"kind": "execution", "execution": execution})
        self.counts["executions"] += 1

    def finish(self) -> None:
        self._line({"kind": "end", "counts": self.counts})
        self._stream.flush()
        if self._partial is not None:
            os.fsync(self._stream.fileno())
            self._stream.close()
            os.replace(self._partial, self.path)

    def abandon(self) -> None:
        """An export that failed: the partial file goes, no file is left that could be imported."""
        if self._partial is not None:
            self._stream.close()
            self._partial.unlink(missing_ok=True)


# --- reading ---------------------------------------------------------------------------------------


def read(path: str) -> Archive:
    """The whole file, checked line by line; Damaged names the first line that is wrong."""
    source = "stdin" if path == "-" else path
    try:
        if path == "-":
            return parse(sys.stdin.buffer, source)
        with open(path, "rb") as stream:
            return parse(stream, source)
    except OSError as error:
        raise CliFailure(f"Cannot read {path}: {error.strerror or error}.") from None


def parse(lines: Iterable[bytes], source: str) -> Archive:
    archive = Archive()
    ended: dict[str, Any] | None = None
    names: set[str] = set()
    keys: set[str] = set()
    number = 0
    for number, record in _records(lines, source):
        kind = record.get("kind")
        if number == 1:
            archive.header = _header(record, source)
            continue
        if ended is not None:
            raise Damaged(source, f"line {number} follows the end line")
        if kind == "end":
            ended = record
        elif kind == "flow":
            flow = _flow(record, source, number)
            if flow.name in names:
                raise Damaged(source, f"line {number}: flow {flow.name!r} appears twice")
            names.add(flow.name)
            archive.flows.append(flow)
        elif kind == "datastoreItem":
            item = _item(record, source, number)
            if item.key in keys:
                raise Damaged(source, f"line {number}: datastore item {item.key!r} appears twice")
            keys.add(item.key)
            archive.items.append(item)
        elif kind == "execution" and isinstance(record.get("execution"), dict):
            archive.executions.append(record["execution"])
        else:
            raise Damaged(source, f"line {number} is not a record of this format (kind {kind!r})")
    if number == 0:
        raise Damaged(source, "the file is empty")
    if ended is None:
        raise Damaged(source, f"it ends after line {number} without its end line (the export was cut short)")
    expected = ended.get("counts")
    if not isinstance(expected, dict) or {k: expected.get(k) for k in COUNTED} != archive.counts():
        raise Damaged(source, f"its end line counts {json.dumps(expected)} but the file holds {json.dumps(archive.counts())}")
    return archive


def _records(lines: Iterable[bytes], source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    number = 0
    for number, line in enumerate(lines, 1):
        if not line.endswith(b"\n"):
            raise Damaged(source, f"line {number} is cut off (no end of line: the export was cut short)")
        try:
            record = json.loads(line)
        except ValueError as error:
            raise Damaged(source, f"line {number} is not JSON ({error})") from None
        if not isinstance(record, dict):
            raise Damaged(source, f"line {number} is not a JSON object")
        yield number, record


def _header(record: dict[str, Any], source: str) -> dict[str, Any]:
    if record.get("kind") != "header" or record.get("format") != FORMAT:
        raise Damaged(source, f"its first line is not the header of a {FORMAT} file")
    version = record.get("formatVersion")
    if version != FORMAT_VERSION:
        raise Damaged(
            source, f"it has format version {version!r}; this flyte reads version {FORMAT_VERSION} (a newer flyte wrote it?)"
        )
    return record


def _flow(record: dict[str, Any], source: str, number: int) -> FlowRecord:
    name, versions = record.get("name"), record.get("versions")
    if not isinstance(name, str) or not name:
        raise Damaged(source, f"line {number}: a flow without a name")
    if not isinstance(versions, list) or not versions:
        raise Damaged(source, f"line {number}: flow {name!r} has no versions")
    for version in versions:
        if not isinstance(version, dict) or not isinstance(version.get("flow"), dict) or version["flow"].get("name") != name:
            raise Damaged(source, f"line {number}: a version of flow {name!r} is not a flow of that name")
    return FlowRecord(name, versions)


def _item(record: dict[str, Any], source: str, number: int) -> ItemRecord:
    key, content_type, description = record.get("key"), record.get("contentType"), record.get("description")
    if not isinstance(key, str) or not key:
        raise Damaged(source, f"line {number}: a datastore item without a key")
    if not isinstance(content_type, str) or not (description is None or isinstance(description, str)):
        raise Damaged(source, f"line {number}: datastore item {key!r} has no content type or a description that is not text")
    try:
        if not isinstance(record.get("value"), str):
            raise ValueError("no value")
        value = base64.b64decode(record["value"], validate=True)
    except (binascii.Error, ValueError):
        raise Damaged(source, f"line {number}: the value of datastore item {key!r} is not base64") from None
    return ItemRecord(key, content_type, value, description)
