"""Links in representations, built as the original builds them."""

from __future__ import annotations

import posixpath


def clean_path(path: str) -> str:
    """Go's path.Clean, used by the original on links built from list items."""
    cleaned = posixpath.normpath("/" + path)
    return cleaned if cleaned != "//" else "/"


def link(href: str, rel: str) -> dict[str, str]:
    return {"href": href, "rel": rel}


def item_link(base: str, path: str, rel: str = "self") -> dict[str, str]:
    """A link to a list item: the path is cleaned like the original's (`a/../b` -> `b`)."""
    return link(base + clean_path(path).lstrip("/"), rel)
