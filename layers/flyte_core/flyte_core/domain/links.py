"""Links in representations, built as the original builds them, with names percent-encoded so that
every link leads back to its resource (the original wrote names raw: `a#b` or `日本語` broke it)."""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import quote

from . import bounds

# Characters a path segment may hold as they are (RFC 3986 pchar), less those some servers read
# specially (`;`, `=`, `&`, `+`): names of letters, digits and `-._~:@!$'()*,` keep the original's form.
_SEGMENT_SAFE = "-._~:@!$'()*,"


def segment(name: str) -> str:
    """A name as one URL path segment (UTF-8, percent-encoded)."""
    return quote(name, safe=_SEGMENT_SAFE)


def query_value(value: str) -> str:
    return quote(value, safe=_SEGMENT_SAFE)


def paged_list(base: str, collection: str, help_tag: str, entries: list, start: int) -> dict[str, Any]:
    """`GET /v1/<collection>`: the entries from `start` that fit in a response, under the collection's
    name, with self, up and help links, and `next` when a page stopped before the end."""
    page, following = bounds.page(entries, start)
    url = f"{base}v1/{collection}"
    links = [link(url, "self"), link(f"{base}v1", "up"), link(f"{base}swagger#/{help_tag}", "help")]
    if following is not None:
        links.append(link(f"{url}?start={following}", "next"))
    return {collection: page, "links": links}


def clean_path(path: str) -> str:
    """Go's path.Clean, used by the original on links built from list items."""
    cleaned = posixpath.normpath("/" + path)
    return cleaned if cleaned != "//" else "/"


def link(href: str, rel: str) -> dict[str, str]:
    return {"href": href, "rel": rel}


def item_link(base: str, path: str, rel: str = "self") -> dict[str, str]:
    """A link to a list item: the path is cleaned like the original's (`a/../b` -> `b`)."""
    return link(base + clean_path(path).lstrip("/"), rel)
