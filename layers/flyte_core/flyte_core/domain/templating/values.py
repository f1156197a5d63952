"""pongo2's value semantics on Python values: rendering, conversions, comparisons, arithmetic.

Values seen by templates are JSON-like (dict, list, str, int, float, bool, None), datetimes,
and jinja2's Undefined (pongo2's nil: a missing key, an out-of-range index, an unknown name).
Deliberate deviations from the original (api-contract §13.9) live here: numbers render naturally
(``5``, ``2.5``, not ``5.000000``), maps and lists render as JSON, ``5 == 5.0``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import ItemsView, KeysView, ValuesView
from datetime import datetime
from typing import Any

from jinja2 import Undefined

from .errors import TemplateError
from .golayout import go_time_string
from .limits import charge_work

_GO_FLOAT = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)\Z", re.IGNORECASE)


def is_nil(value: Any) -> bool:
    return value is None or isinstance(value, Undefined)


def nil_to_none(value: Any) -> Any:
    return None if isinstance(value, Undefined) else value


def is_number(value: Any) -> bool:
    return type(value) is int or type(value) is float or (isinstance(value, (int, float)) and not isinstance(value, bool))


def format_float(value: float) -> str:
    """Natural rendering: integral floats without decimals, others in shortest round-trip form."""
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return int(value)
        if math.isfinite(value):
            return value
        return to_str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return to_str(value)


def to_json(value: Any) -> str:
    return json.dumps(_jsonable(value), ensure_ascii=False, separators=(",", ":"))


def to_str(value: Any) -> str:
    """How a value renders (pongo2's ``Value.String()``, with natural numbers and JSON)."""
    t = type(value)
    if t is str:
        return value
    if value is None or t is bool:
        return "" if value is None else ("True" if value else "False")
    if t is int:
        return str(value)
    if t is float:
        return format_float(value)
    if isinstance(value, str):  # Markup and other str subclasses
        return str.__str__(value)
    if isinstance(value, Undefined):
        return ""
    if isinstance(value, (dict, list, tuple)):
        return to_json(value)
    if isinstance(value, datetime):
        return go_time_string(value)
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return format_float(float(value))
    if isinstance(value, (KeysView, ValuesView, ItemsView)):
        return to_json(list(value))
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return f"<{type(value).__name__}>"


def parse_go_float(text: str) -> float | None:
    """Go ``strconv.ParseFloat`` (decimal forms): the float, or None when Go would fail."""
    if _GO_FLOAT.match(text) is None:
        return None
    return float(text)


def to_float(value: Any) -> float:
    """pongo2 ``Value.Float()``: numbers as is, strings parsed, anything else 0."""
    if isinstance(value, bool):
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        parsed = parse_go_float(value)
        return 0.0 if parsed is None else parsed
    return 0.0


def to_int(value: Any) -> int:
    """pongo2 ``Value.Integer()``: truncating; strings parsed as floats; anything else 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    if isinstance(value, str):
        parsed = parse_go_float(value)
        if parsed is None or not math.isfinite(parsed):
            return 0
        return int(parsed)
    return 0


def length(value: Any) -> int:
    """pongo2 ``Value.Len()``: runes of a string, size of a list or map, 0 otherwise."""
    if isinstance(value, (str, list, tuple, dict)):
        return len(value)
    return 0


def can_slice(value: Any) -> bool:
    return isinstance(value, (str, list, tuple))


# -- comparisons ---------------------------------------------------------------------------------


def equals(left: Any, right: Any) -> bool:
    """``==``: numbers compare numerically; otherwise type and value must match. nil equals nil
    and the empty string (so ``{% if x != '' %}`` treats a missing ``x`` as empty)."""
    if isinstance(left, Undefined):
        left = None
    if isinstance(right, Undefined):
        right = None
    if left is None or right is None:
        return (left is None or left == "") and (right is None or right == "")
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if is_number(left) and is_number(right):
        return left == right
    if type(left) is not type(right):
        if isinstance(left, str) and isinstance(right, str):
            return str.__eq__(left, right)
        if not (isinstance(left, type(right)) or isinstance(right, type(left))):
            return False
    if isinstance(left, str):
        charge_work(len(left))
    try:
        return bool(left == right)
    except Exception:
        return False


def _order_operands(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(left, datetime) and isinstance(right, datetime):
        return left, right
    if (isinstance(left, float) and not isinstance(left, bool)) or (isinstance(right, float) and not isinstance(right, bool)):
        return to_float(nil_to_none(left)), to_float(nil_to_none(right))
    return to_int(nil_to_none(left)), to_int(nil_to_none(right))


def contains(container: Any, item: Any) -> bool:
    """``item in container``: substring, map key, or list element."""
    container = nil_to_none(container)
    item = nil_to_none(item)
    if isinstance(container, str):
        charge_work(len(container))
        return to_str(item) in container
    if isinstance(container, dict):
        if isinstance(item, (str, int)) and not isinstance(item, bool):
            return item in container
        return False
    if isinstance(container, (list, tuple)):
        charge_work(len(container))
        return any(equals(element, item) for element in container)
    return False


def compare(op: str, left: Any, right: Any) -> bool:
    if op == "eq":
        return equals(left, right)
    if op == "ne":
        return not equals(left, right)
    if op == "in":
        return contains(right, left)
    if op == "notin":
        return not contains(right, left)
    a, b = _order_operands(left, right)
    try:
        if op == "lt":
            return a < b
        if op == "gt":
            return a > b
        if op == "lteq":
            return a <= b
        if op == "gteq":
            return a >= b
    except TypeError as exc:  # e.g. naive vs aware datetimes
        raise TemplateError(f"cannot compare {type_name(left)} and {type_name(right)}") from exc
    raise TemplateError(f"unsupported comparison {op!r}")


# -- arithmetic ----------------------------------------------------------------------------------


def _either_float(left: Any, right: Any) -> bool:
    return (isinstance(left, float) and not isinstance(left, bool)) or (isinstance(right, float) and not isinstance(right, bool))


def _go_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _go_mod(a: int, b: int) -> int:
    return a - b * _go_div(a, b)


def binop(op: str, left: Any, right: Any) -> Any:
    """pongo2 arithmetic: float if either side is a float, otherwise integers (strings parsed).
    ``+`` of two strings or two lists concatenates (an extension; pongo2 yields 0)."""
    left = nil_to_none(left)
    right = nil_to_none(right)
    if op == "+":
        if isinstance(left, str) and isinstance(right, str):
            charge_work(len(left) + len(right))
            return left + right
        if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
            charge_work(len(left) + len(right))
            return list(left) + list(right)
    if op == "**":
        try:
            return math.pow(to_float(left), to_float(right))
        except (OverflowError, ValueError) as exc:
            raise TemplateError(f"invalid power: {exc}") from exc
    if _either_float(left, right):
        a, b = to_float(left), to_float(right)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op in ("/", "//", "%"):
            if b == 0:
                raise TemplateError("division by zero")
            if op == "/":
                return a / b
            if op == "//":
                return float(math.floor(a / b))
            return math.fmod(a, b)
    else:
        x, y = to_int(left), to_int(right)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            if abs(x) > 2**63 or abs(y) > 2**63:
                raise TemplateError("integer overflow")
            return x * y
        if op in ("/", "//", "%"):
            if y == 0:
                raise TemplateError("integer division by zero")
            if op == "/":
                return _go_div(x, y)
            if op == "//":
                return x // y
            return _go_mod(x, y)
    raise TemplateError(f"unsupported operator {op!r}")


def unop(op: str, value: Any) -> Any:
    value = nil_to_none(value)
    if not is_number(value):
        raise TemplateError(f"sign on a non-number expression ({type_name(value)})")
    return -value if op == "-" else value


def type_name(value: Any) -> str:
    if is_nil(value):
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, datetime):
        return "time"
    return type(value).__name__
