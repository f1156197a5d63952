"""Go ``fmt.Sprintf(format, value)`` for the ``stringformat`` filter (one operand).

Verbs: ``%v %s %d %f %F %e %E %g %G %x %X %o %b %q %t %c %U %T %%`` with flags ``-+# 0``,
width and precision. A wrong type prints Go's ``%!d(string=abc)`` form. One deliberate
difference: numbers are accepted by both integer and float verbs (``%d`` of ``5.0`` is ``5``,
``%.2f`` of ``5`` is ``5.00``), because JSON numbers are no longer forced to floats.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from . import limits
from .golayout import go_time_string

_VERB = re.compile(r"%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?(.)", re.DOTALL)


def go_type(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    if isinstance(value, datetime):
        return "time.Time"
    return type(value).__name__


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits of ``value`` (> 0) and the decimal point position."""
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    point = len(whole) + (int(exponent) if exponent else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    return (stripped.rstrip("0") or "0"), point


def _exponent(text: str) -> str:
    mantissa, _, exponent = text.partition("e")
    return f"{mantissa}e{exponent[0]}{int(exponent[1:]):02d}"


def go_float_g(value: float, precision: int = -1, upper: bool = False) -> str:
    """strconv.FormatFloat(value, 'g', precision, 64)."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if precision >= 0:
        text = f"{value:.{max(precision, 1)}g}"
        text = _exponent(text) if "e" in text else text
        return text.upper() if upper else text
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    digits, point = _shortest_digits(abs(value))
    exp = point - 1
    if exp < -4 or exp >= 6:
        text = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        text = f"{text}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    else:
        text = f"{abs(value):.{max(len(digits) - point, 0)}f}"
    text = sign + text
    return text.upper() if upper else text


def go_value(value: Any) -> str:
    """Go's ``%v``."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float_g(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "map[" + " ".join(f"{go_value(k)}:{go_value(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, datetime):
        return go_time_string(value)
    return str(value)


def _quote(text: str) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable():
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _pad(text: str, flags: str, width: int | None, numeric: bool) -> str:
    if width is None or len(text) >= width:
        return text
    if "-" in flags:
        return text.ljust(width)
    if "0" in flags and numeric:
        sign = text[0] if text[:1] in "+- " else ""
        body = text[len(sign) :]
        return sign + body.rjust(width - len(sign), "0")
    return text.rjust(width)


def _sign(text: str, negative: bool, flags: str) -> str:
    if negative:
        return "-" + text
    if "+" in flags:
        return "+" + text
    if " " in flags:
        return " " + text
    return text


def _bad(verb: str, value: Any) -> str:
    if value is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({go_type(value)}={go_value(value)})"


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _format_one(verb: str, flags: str, width: int | None, precision: int | None, value: Any) -> str:
    number = _number(value)
    if verb in "vs":
        if verb == "s" and not isinstance(value, str):
            if isinstance(value, (list, dict, tuple)):
                return _pad(go_value(value), flags, width, False)
            return _bad(verb, value)
        if verb == "v" and "+" in flags and isinstance(value, float):
            text = go_float_g(value)
            return _pad(text if value < 0 else "+" + text, flags, width, True)
        text = go_value(value)
        if precision is not None and isinstance(value, str):
            text = text[:precision]
        return _pad(text, flags, width, isinstance(value, (int, float)) and not isinstance(value, bool))
    if verb == "d":
        if number is None or (isinstance(number, float) and not number.is_integer()):
            return _bad(verb, value)
        integer = int(number)
        text = str(abs(integer))
        if precision is not None:
            text = text.rjust(precision, "0")
        return _pad(_sign(text, integer < 0, flags), flags, width, precision is None)
    if verb in "fFeEgG":
        if number is None:
            return _bad(verb, value)
        real = float(number)
        if math.isinf(real) or math.isnan(real):
            text = "Inf" if math.isinf(real) else "NaN"
            return _pad(_sign(text, real < 0, flags if not math.isnan(real) else ""), flags, width, False)
        if verb in "fF":
            text = f"{abs(real):.{6 if precision is None else precision}f}"
        elif verb in "eE":
            text = _exponent(f"{abs(real):.{6 if precision is None else precision}e}")
        else:
            text = go_float_g(abs(real), -1 if precision is None else precision)
        if verb in "EG":
            text = text.upper()
        return _pad(_sign(text, math.copysign(1.0, real) < 0, flags), flags, width, True)
    if verb in "xXob":
        if isinstance(value, str) and verb in "xX":
            text = value.encode("utf-8").hex()
            return _pad(text.upper() if verb == "X" else text, flags, width, False)
        if number is None or (isinstance(number, float) and not number.is_integer()):
            return _bad(verb, value)
        integer = int(number)
        text = format(abs(integer), {"x": "x", "X": "X", "o": "o", "b": "b"}[verb])
        if "#" in flags:
            text = {"x": "0x", "X": "0X", "o": "0", "b": ""}[verb] + text
        return _pad(_sign(text, integer < 0, flags), flags, width, True)
    if verb == "q":
        if isinstance(value, str):
            return _pad(_quote(value), flags, width, False)
        if number is not None and isinstance(number, int):
            return _pad("'" + chr(number) + "'", flags, width, False)
        return _bad(verb, value)
    if verb == "t":
        if isinstance(value, bool):
            return _pad("true" if value else "false", flags, width, False)
        return _bad(verb, value)
    if verb == "c":
        if isinstance(number, int) and 0 <= number <= 0x10FFFF:
            return _pad(chr(number), flags, width, False)
        return _bad(verb, value)
    if verb == "U":
        if isinstance(number, int):
            return _pad(f"U+{number:04X}", flags, width, False)
        return _bad(verb, value)
    if verb == "T":
        return _pad(go_type(value), flags, width, False)
    return f"%!{verb}({go_type(value)}={go_value(value)})"


def sprintf(fmt: str, value: Any) -> str:
    out: list[str] = []
    pos = 0
    used = False
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        flags, width_text, precision_text, verb = m.groups()
        if verb == "%" and not flags and width_text is None and precision_text is None:
            out.append("%")
            continue
        width = int(width_text) if width_text and width_text != "*" else None
        precision = None
        if precision_text is not None:
            precision = int(precision_text) if precision_text and precision_text != "*" else 0
        for size in (width, precision):
            if size is not None:
                limits.check_size(size, "format width")
        if used:
            out.append(f"%!{verb}(MISSING)")
            continue
        used = True
        out.append(_format_one(verb, flags, width, precision, value))
    out.append(fmt[pos:])
    if not used:
        out.append(f"%!(EXTRA {go_type(value)}={go_value(value)})")
    return "".join(out)
