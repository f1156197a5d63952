"""Datastore items: the multipart upload, the size rule and representations (api-contract §7)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from . import bounds
from .errors import InvalidInput, TooLarge, UnsupportedFormat
from .links import item_link, paged_list, segment

DEFAULT_CONTENT_TYPE = "text/plain; charset=us-ascii"
# A DynamoDB item holds at most 400 KB, key, type and description included.
MAX_VALUE_BYTES = 350_000

# An item is served as stored, from the API's own origin: whatever its type, a browser may not run it
# there (a sandboxed document of its own origin, loading nothing). Types a browser shows as text are
# served inline; any other (HTML, SVG, ...) is a download.
ITEM_CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'"
INLINE_TYPES = frozenset(
    {"application/json", "application/x-yaml", "application/yaml", "text/yaml", "text/x-yaml", "text/plain", "text/csv"}
)
MAX_FILENAME_CHARACTERS = 100


@dataclass
class Item:
    key: str
    value: bytes
    content_type: str
    description: str | None = None
    updated_by: dict[str, str] | None = None  # who stored it, when auth is on


def parse_upload(key: str, body: bytes, content_type: str | None) -> Item:
    """Read a `multipart/form-data` PUT: file part `value`, optional text field `description`."""
    bounds.check_name(key, "key", what="datastore key", max_bytes=bounds.MAX_KEY_BYTES)
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        raise UnsupportedFormat(
            "Send the item as multipart/form-data with a part named 'value' (curl -F value=@file.json -F description=...)."
        )
    from email import policy  # only an upload parses MIME
    from email.parser import BytesParser

    message = BytesParser(policy=policy.HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise InvalidInput("The multipart body could not be read (check the boundary).")
    value: bytes | None = None
    value_type = DEFAULT_CONTENT_TYPE
    description: str | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        assert isinstance(payload, bytes)  # decode=True on a non-multipart part always gives bytes
        if name == "value":
            value = payload
            # served back as the Content-Type header of GET: printable ASCII of bounded length
            value_type = bounds.check_header_value(
                _raw_content_type(part) or DEFAULT_CONTENT_TYPE, "content-type of the value part"
            )
        elif name == "description":
            try:
                description = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
            except LookupError:
                raise InvalidInput(
                    f"The description's charset {part.get_content_charset()!r} is unknown.", field="description"
                ) from None
            bounds.check_text(description, "description", what="description", max_bytes=bounds.MAX_DESCRIPTION_BYTES)
    if value is None:
        raise InvalidInput("The form has no part named 'value'.", field="value")
    if not value:
        raise InvalidInput("The 'value' part is empty.", field="value")
    if len(value) > MAX_VALUE_BYTES:
        raise TooLarge(
            f"The value has {len(value)} bytes; a datastore item holds at most {MAX_VALUE_BYTES}.",
            field="value",
            maxBytes=MAX_VALUE_BYTES,
        )
    return Item(key=key, value=value, content_type=str(value_type), description=description or None)


def _raw_content_type(part: Any) -> str | None:
    """The part's Content-Type as sent (unfolded): kept byte for byte, as the original kept it. The
    parsed header would re-render it (`charset=us-ascii` as `charset="us-ascii"`)."""
    for name, value in part.raw_items():
        if name.lower() == "content-type":
            return " ".join(str(value).split()) or None
    return None


def list_representation(items: list[Item], base: str, start: int = 0) -> dict[str, Any]:
    entries = []
    for item in sorted(items, key=lambda i: i.key):
        entry: dict[str, Any] = {"key": item.key, "contentType": item.content_type}
        if item.description:
            entry["description"] = item.description
        if item.updated_by:
            entry["updatedBy"] = item.updated_by
        entry["links"] = [item_link(base, f"v1/datastore/{segment(item.key)}")]
        entries.append(entry)
    return paged_list(base, "datastore", "datastore", entries, start)


def media_type(content_type: str) -> str:
    """`Text/HTML; charset=utf-8` -> `text/html`."""
    return content_type.split(";", 1)[0].strip().lower()


def serving_headers(item: Item) -> dict[str, str]:
    """The headers a stored item is served with, beside its own content type."""
    headers = {"Content-Security-Policy": ITEM_CONTENT_SECURITY_POLICY}
    if media_type(item.content_type) not in INLINE_TYPES:
        headers["Content-Disposition"] = attachment(item.key)
    return headers


def attachment(key: str) -> str:
    """`attachment` with a file name made from the key: an ASCII `filename` any client reads (letters,
    digits, `.`, `-`, `_`; never a path, never hidden) and, for a key beyond that, the key itself as
    RFC 6266's `filename*` (UTF-8, percent-encoded, separators replaced)."""
    name = re.sub(r"[/\\]", "_", key)[:MAX_FILENAME_CHARACTERS]
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "item"
    disposition = f'attachment; filename="{plain}"'
    if plain != name:
        disposition += f"; filename*=UTF-8''{quote(name, safe='')}"
    return disposition
