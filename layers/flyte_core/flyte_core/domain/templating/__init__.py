"""Flyte's template language: pongo2 (Django-style) flows run on a Jinja2 sandbox.

Public API (everything else in this package is internal)::

    TemplateError                       compile or render failure (.message, .line, .column)
    DatastoreReader                     Callable[[str], tuple[str, bytes]]; raises KeyError if missing
    render(source, variables, datastore=None) -> str
    check(source) -> None               compile only; raises TemplateError with a position
    secret_names(source) -> list[str]   the secrets a template references ({{ secret('name') }} only)
    mentions_secret(source) -> bool     whether it uses secret() at all (refused outside a command's input)
    unquoted_interpolations(source)     outputs writing Event/Context text unquoted (for shell scripts)
    parse_bool(text) -> bool            Go strconv.ParseBool; raises ValueError

``TemplateError``, ``DatastoreReader`` and ``parse_bool`` are cheap to import. ``render``,
``check`` and ``unquoted_interpolations`` load the engine (jinja2, re2) on first access, so a handler that never renders a template
does not pay for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import TemplateError
from .parsebool import parse_bool

DatastoreReader = Callable[[str], tuple[str, bytes]]

__all__ = [
    "DatastoreReader",
    "TemplateError",
    "check",
    "mentions_secret",
    "parse_bool",
    "render",
    "secret_names",
    "unquoted_interpolations",
]


def __getattr__(name: str) -> Any:
    if name in ("render", "check", "secret_names", "mentions_secret"):
        from . import engine

        value = getattr(engine, name)
        globals()[name] = value  # later lookups are plain attribute reads
        return value
    if name == "unquoted_interpolations":
        from . import shellsafety

        globals()[name] = shellsafety.unquoted_interpolations
        return shellsafety.unquoted_interpolations
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
