"""Runtime helpers behind the translated pongo2 tags (``for``, ``firstof``, ``cycle``, ``now``,
``widthratio``, ``lorem``, macro calls). Their names start with ``_fl_``, which templates may not use.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from . import limits
from .errors import TemplateError
from .golayout import format_go
from .sandbox import ForLoop
from .values import nil_to_none, to_float, to_int, to_str

_FAKE_NOW = datetime(2014, 10, 19, 12, 30, 0, tzinfo=UTC)
_LOREM_WORDS = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipisicing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
    "ut",
    "enim",
    "ad",
    "minim",
    "veniam",
    "quis",
    "nostrud",
    "exercitation",
    "ullamco",
    "laboris",
    "nisi",
    "ut",
    "aliquip",
    "ex",
    "ea",
    "commodo",
    "consequat",
    "duis",
    "aute",
    "irure",
    "dolor",
    "in",
    "reprehenderit",
    "in",
    "voluptate",
    "velit",
    "esse",
    "cillum",
    "dolore",
    "eu",
    "fugiat",
    "nulla",
    "pariatur",
    "excepteur",
    "sint",
    "occaecat",
    "cupidatat",
    "non",
    "proident",
    "sunt",
    "in",
    "culpa",
    "qui",
    "officia",
    "deserunt",
    "mollit",
    "anim",
    "id",
    "est",
    "laborum",
]
_LOREM_PARAGRAPH = " ".join(_LOREM_WORDS).capitalize() + "."
_MAX_LOREM = 1000


def _sorted(items: list[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=to_str)


def fl_iter(value: Any, targets: int, reverse: bool, sort: bool, parent: Any) -> list[tuple]:
    """The items of a pongo2 ``for``: maps give keys (one target) or key/value pairs, lists their
    elements, strings their characters; anything else nothing. Charged to the loop budget."""
    value = nil_to_none(value)
    if value is None:
        items: list[Any] = []
    elif isinstance(value, Mapping):
        keys = list(value.keys())
        if sort:
            keys = _sorted(keys)
        items = [(k, value[k]) for k in keys] if targets == 2 else keys
        sort = False
    elif isinstance(value, (list, tuple, str, range)) or type(value).__name__ in ("dict_items", "dict_keys", "dict_values"):
        limits.check_size(len(value), "loop")
        items = list(value)
    else:
        items = []
    if sort:
        items = _sorted(items)
    if reverse:
        items.reverse()
    total = len(items)
    limits.charge_iterations(total)
    if targets == 1:
        return [(ForLoop(i, total, parent), item) for i, item in enumerate(items)]
    rows = []
    for i, item in enumerate(items):
        if isinstance(item, (list, tuple)) and len(item) == 2:
            rows.append((ForLoop(i, total, parent), item[0], item[1]))
        else:
            rows.append((ForLoop(i, total, parent), item, None))
    return rows


def fl_firstof(*values: Any) -> Any:
    for value in values:
        value = nil_to_none(value)
        if value:
            return value
    return ""


def fl_cycle(loop: Any, values: list[Any]) -> Any:
    index = loop.Counter0 if isinstance(loop, ForLoop) else 0
    return values[index % len(values)]


def fl_now(layout: Any, fake: bool) -> str:
    moment = _FAKE_NOW if fake else datetime.now(UTC)
    return format_go(moment, to_str(nil_to_none(layout)))


def fl_widthratio(current: Any, maximum: Any, width: Any) -> int:
    top, bottom, scale = (to_float(nil_to_none(v)) for v in (current, maximum, width))
    if bottom == 0:
        raise TemplateError("widthratio: division by zero")
    result = math.ceil(top / bottom * scale + 0.5)
    if not math.isfinite(result):
        raise TemplateError("widthratio: result is not a number")
    return int(result)


def fl_lorem(count: Any, method: str, randomize: bool) -> str:
    number = to_int(nil_to_none(count))
    if number > _MAX_LOREM:
        raise TemplateError(f"lorem: count above {_MAX_LOREM}")
    if method == "w":
        words = [
            (_LOREM_WORDS[i % len(_LOREM_WORDS)] if not randomize else random.choice(_LOREM_WORDS)) for i in range(max(number, 0))
        ]
        return " ".join(words)
    paragraphs = [_LOREM_PARAGRAPH] * max(number, 0)
    if method == "p":
        return "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return "\n".join(paragraphs)


def fl_tick() -> str:
    """Called at the start of every macro body: macro calls share the loop budget."""
    limits.charge_iterations(1)
    return ""


HELPERS: dict[str, Callable[..., Any]] = {
    "_fl_iter": fl_iter,
    "_fl_firstof": fl_firstof,
    "_fl_cycle": fl_cycle,
    "_fl_now": fl_now,
    "_fl_widthratio": fl_widthratio,
    "_fl_lorem": fl_lorem,
    "_fl_tick": fl_tick,
}
