"""Links in representations, built as the original builds them, with names percent-encoded so that
every link leads back to its resource (the original wrote names raw: `a#b` or `日本語` broke it)."""

from __future__ import annotations

import posixpath
from urllib.parse import quote

# Characters a path segment may hold as they are (RFC 3986 pchar), less those some servers read
# specially (`;`, `=`, `&`, `+`): names of letters, digits and `-._~:@!$'()*,` keep the original's form.
_SEGMENT_SAFE = "-._~:@!$'()*,"


def segment(name: str) -> str:
    """A name as one URL path segment (UTF-8, percent-encoded)."""
    return quote(name, safe=_SEGMENT_SAFE)


def query_value(value: str) -> str:
    return quote(value, safe=_SEGMENT_SAFE)


def with_next(links: list[dict[str, str]], url: str, following: int | None) -> list[dict[str, str]]:
    """A list's links, with `next` when a page stopped before the end (responses are bounded)."""
    return links if following is None else [*links, link(f"{url}?start={following}", "next")]


def clean_path(path: str) -> str:
    """Go's path.Clean, used by the original on links built from list items."""
    cleaned = posixpath.normpath("/" + path)
    return cleaned if cleaned != "//" else "/"


def link(href: str, rel: str) -> dict[str, str]:
    return {"href": href, "rel": rel}


def item_link(base: str, path: str, rel: str = "self") -> dict[str, str]:
    """A link to a list item: the path is cleaned like the original's (`a/../b` -> `b`)."""
    return link(base + clean_path(path).lstrip("/"), rel)
