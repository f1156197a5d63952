"""Every filter a flow can use, in one flat table (name -> function(value, argument=None)).

Flyte's own filters (api-contract §10.5) and pongo2's built-ins (api-contract §10.7) under their pongo2 names.
Inputs arrive with nil normalized to None; the engine wraps each function to do that, to bound
the size of what it returns and to keep it out of compile-time constant folding.
"""

from __future__ import annotations

import random as _random
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

from . import cron, gofmt, limits
from .errors import TemplateError
from .golayout import format_go, parse_rfc3339
from .regex import RegexError, compile_go
from .values import can_slice, is_number, length, to_float, to_int, to_str, type_name

_GO_SPACES = re.compile(r"[ \t\n\f\r]+")


def _width(argument: Any) -> int:
    width = to_int(argument)
    limits.check_size(abs(width), "width")
    return width


# -- Flyte filters (api-contract §10.5) ---------------------------------------------------------


def f_key(value: Any, argument: Any = None) -> Any:
    """Map lookup with the argument converted to a string; nil in, nil out."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TemplateError(f"key: input must be a map, not {type_name(value)}")
    return value.get(to_str(argument))


def f_match(value: Any, argument: Any = None) -> bool:
    """RE2 search of the pattern in the rendered input; an invalid pattern is False."""
    try:
        pattern = compile_go(to_str(argument))
    except RegexError:
        return False
    text = to_str(value)
    limits.charge_work(len(text))
    return pattern.search(text) is not None


def f_extract_match(value: Any, argument: Any = None) -> str:
    """Group 1 of the first match (empty if unset); the input unchanged if no match or no group."""
    try:
        pattern = compile_go(to_str(argument))
    except RegexError as exc:
        raise TemplateError(f"extractMatch: {exc}") from None
    text = to_str(value)
    limits.charge_work(len(text))
    found = pattern.search(text)
    if found is not None and pattern.groups >= 1:
        return found.group(1) or ""
    return text


def f_kvp(value: Any, argument: Any = None) -> dict[str, str]:
    result: dict[str, str] = {}
    for piece in to_str(value).split(","):
        parts = piece.split("=")
        if len(parts) == 2:
            result[parts[0].strip()] = parts[1].strip()
    return result


def f_index(value: Any, argument: Any = None) -> Any:
    if can_slice(value) and length(value) > 0:
        position = to_int(argument)
        if position < 0:
            raise TemplateError(f"index: negative index {position}")
        return value[position] if position < len(value) else None
    return ""


def f_matches_cron(value: Any, argument: Any = None) -> bool:
    if isinstance(value, datetime):
        moment = value
    else:
        text = to_str(value)
        parsed = parse_rfc3339(text)
        if parsed is None:
            raise TemplateError(f"invalid date: '{text}'")
        moment = parsed
    expression = to_str(argument)
    try:
        return cron.is_due(expression, moment)
    except cron.CronError:
        raise TemplateError("Invalid Cron Expression") from None


def f_removedupwhitespaces(value: Any, argument: Any = None) -> str:
    return _GO_SPACES.sub(" ", to_str(value)).rstrip(" ")


def f_safecopypaste(value: Any, argument: Any = None) -> str:
    return to_str(value).replace("\u00a0", " ")


def f_shellquote(value: Any, argument: Any = None) -> str:
    """POSIX single-quote quoting: the rendered value as one shell word, taken literally.

    The whole text goes inside ``'...'``, where a POSIX shell gives no character a meaning
    (no ``$``, backtick, backslash, ``;`` or newline is special there); a ``'`` itself closes
    the quote, so it becomes ``'\\''`` (close, an escaped quote, reopen). The empty string
    (and nil) is ``''``, an empty word, not no word at all.
    """
    return "'" + to_str(value).replace("'", "'\\''") + "'"


# -- pongo2 built-ins (api-contract §10.7) ------------------------------------------------------


def f_add(value: Any, argument: Any = None) -> Any:
    if is_number(value) and is_number(argument):
        if isinstance(value, float) or isinstance(argument, float):
            return float(value) + float(argument)
        return int(value) + int(argument)
    left, right = to_str(value), to_str(argument)
    limits.check_size(len(left) + len(right))
    return left + right


def f_addslashes(value: Any, argument: Any = None) -> str:
    return to_str(value).replace("\\", "\\\\").replace('"', '\\"').replace("'", "\\'")


def f_capfirst(value: Any, argument: Any = None) -> str:
    if length(value) <= 0:
        return ""
    text = to_str(value)
    return text[:1].upper() + text[1:]


def f_center(value: Any, argument: Any = None) -> Any:
    width = _width(argument)
    size = length(value)
    if width <= size:
        return value
    spaces = width - size
    left = spaces // 2 + spaces % 2
    return " " * left + to_str(value) + " " * (spaces // 2)


def f_cut(value: Any, argument: Any = None) -> str:
    needle = to_str(argument)
    text = to_str(value)
    return text.replace(needle, "") if needle else text


def f_date(value: Any, argument: Any = None) -> str:
    if not isinstance(value, datetime):
        raise TemplateError("filter input argument must be of type 'time.Time'")
    return format_go(value, to_str(argument))


def f_default(value: Any, argument: Any = None) -> Any:
    return value if value else argument


def f_default_if_none(value: Any, argument: Any = None) -> Any:
    return argument if value is None else value


def f_divisibleby(value: Any, argument: Any = None) -> bool:
    divisor = to_int(argument)
    if divisor == 0:
        return False
    dividend = to_int(value)
    return abs(dividend) % abs(divisor) == 0


def f_escape(value: Any, argument: Any = None) -> str:
    return (
        to_str(value).replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace('"', "&quot;").replace("'", "&#39;")
    )


def f_escapejs(value: Any, argument: Any = None) -> str:
    text = to_str(value)
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in "rn":
            out.append("\\u000D" if text[i + 1] == "r" else "\\u000A")
            i += 2
            continue
        if ("a" <= c <= "z") or ("A" <= c <= "Z") or c in " /":
            out.append(c)
        else:
            out.append(f"\\u{ord(c):04X}")
        i += 1
    return "".join(out)


def f_first(value: Any, argument: Any = None) -> Any:
    if can_slice(value) and len(value) > 0:
        return value[0]
    return ""


def f_last(value: Any, argument: Any = None) -> Any:
    if can_slice(value) and len(value) > 0:
        return value[-1]
    return ""


def f_float(value: Any, argument: Any = None) -> float:
    return to_float(value)


def f_floatformat(value: Any, argument: Any = None) -> Any:
    number = to_float(value)
    decimals = -1 if argument is None else to_int(argument)
    trim = not is_number(argument)
    if decimals <= 0:
        decimals = -decimals
        trim = True
    limits.check_size(decimals, "precision")
    if trim and number.is_integer():
        return to_int(value)
    return f"{number:.{decimals}f}"


def f_get_digit(value: Any, argument: Any = None) -> Any:
    position = to_int(argument)
    text = to_str(value)
    if position <= 0 or position > len(text):
        return value
    return (ord(text[len(text) - position]) - 48) % 256


def f_integer(value: Any, argument: Any = None) -> int:
    return to_int(value)


_IRI_SAFE = "/#%[]=:;$&()+,!?*@'~"


def f_iriencode(value: Any, argument: Any = None) -> str:
    return "".join(c if c in _IRI_SAFE else quote_plus(c) for c in to_str(value))


def f_join(value: Any, argument: Any = None) -> Any:
    if not can_slice(value):
        return value
    separator = to_str(argument)
    parts = [to_str(item) for item in value]
    limits.check_size(sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0))
    return separator.join(parts)


def f_length(value: Any, argument: Any = None) -> int:
    return length(value)


def f_length_is(value: Any, argument: Any = None) -> bool:
    return length(value) == to_int(argument)


def f_linebreaks(value: Any, argument: Any = None) -> Any:
    if length(value) == 0:
        return value
    lines = to_str(value).split("\n")
    out: list[str] = []
    opened = False
    for index, line in enumerate(lines):
        if not opened:
            out.append("<p>")
            opened = True
        out.append(line)
        if index < len(lines) - 1 and line.strip() != "":
            if lines[index + 1].strip() == "":
                out.append("</p>")
                opened = False
            else:
                out.append("<br />")
    if opened:
        out.append("</p>")
    return "".join(out)


def f_linebreaksbr(value: Any, argument: Any = None) -> str:
    return to_str(value).replace("\n", "<br />")


def f_linenumbers(value: Any, argument: Any = None) -> str:
    return "\n".join(f"{index}. {line}" for index, line in enumerate(to_str(value).split("\n"), 1))


def f_ljust(value: Any, argument: Any = None) -> str:
    width = _width(argument)
    return to_str(value) + " " * max(width - length(value), 0)


def f_lower(value: Any, argument: Any = None) -> str:
    return to_str(value).lower()


def f_make_list(value: Any, argument: Any = None) -> list[str]:
    return list(to_str(value))


_PHONE = {
    c: d
    for letters, d in (
        ("abc", "2"),
        ("def", "3"),
        ("ghi", "4"),
        ("jkl", "5"),
        ("mno", "6"),
        ("pqrs", "7"),
        ("tuv", "8"),
        ("wxyz", "9"),
    )
    for c in letters + letters.upper()
}


def f_phone2numeric(value: Any, argument: Any = None) -> str:
    return "".join(_PHONE.get(c, c) for c in to_str(value))


def f_pluralize(value: Any, argument: Any = None) -> str:
    if not is_number(value):
        raise TemplateError("filter 'pluralize' does only work on numbers")
    singular = to_int(value) == 1
    if argument is not None and length(argument) > 0:
        endings = to_str(argument).split(",")
        if len(endings) > 2:
            raise TemplateError("you cannot pass more than 2 arguments to filter 'pluralize'")
        if len(endings) == 1:
            return "" if singular else endings[0]
        return endings[0] if singular else endings[1]
    return "" if singular else "s"


def f_random(value: Any, argument: Any = None) -> Any:
    if not can_slice(value) or len(value) == 0:
        return value
    return value[_random.randrange(len(value))]


def f_removetags(value: Any, argument: Any = None) -> str:
    text = to_str(value)
    for tag in to_str(argument).split(","):
        try:
            pattern = compile_go(f"</?{tag}/?>")
        except RegexError as exc:
            raise TemplateError(f"removetags: {exc}") from None
        text = pattern.sub("", text)
    return text.strip()


def f_rjust(value: Any, argument: Any = None) -> str:
    width = _width(argument)
    text = to_str(value)
    if width < 0:
        return text + " " * max(-width - len(text), 0)
    return " " * max(width - len(text), 0) + text


def f_safe(value: Any, argument: Any = None) -> Any:
    return value


def f_slice(value: Any, argument: Any = None) -> Any:
    bounds = to_str(argument).split(":")
    if len(bounds) != 2:
        raise TemplateError("Slice string must have the format 'from:to' [from/to can be omitted, but the ':' is required]")
    if not can_slice(value):
        return value
    size = len(value)
    start = to_int(bounds[0])
    if start < 0:
        raise TemplateError(f"slice: negative start {start}")
    start = min(start, size)
    end = size
    wanted = to_int(bounds[1])
    if start <= wanted <= size:
        end = wanted
    return value[start:end]


def f_split(value: Any, argument: Any = None) -> list[str]:
    text = to_str(value)
    separator = to_str(argument)
    if separator == "":
        return list(text)
    return text.split(separator)


def f_stringformat(value: Any, argument: Any = None) -> str:
    return gofmt.sprintf(to_str(argument), value)


_TAGS = re.compile(r"<[^>]*?>")


def f_striptags(value: Any, argument: Any = None) -> str:
    return _TAGS.sub("", to_str(value)).strip()


def _go_title(text: str) -> str:
    out: list[str] = []
    previous = " "
    for c in text:
        separator = not (previous.isalnum() or previous == "_") if previous.isascii() else (previous.isspace())
        out.append(c.upper() if separator else c)
        previous = c
    return "".join(out)


def f_title(value: Any, argument: Any = None) -> str:
    if not isinstance(value, str):
        return ""
    return _go_title(value.lower())


def f_truncatechars(value: Any, argument: Any = None) -> str:
    text = to_str(value)
    size = to_int(argument)
    if size < len(text):
        if size >= 3:
            return text[: size - 3] + "..."
        return text[: max(size, 0)]
    return text


def f_truncatewords(value: Any, argument: Any = None) -> str:
    words = to_str(value).split()
    count = to_int(argument)
    if count <= 0:
        return ""
    out = words[:count]
    if count < len(words):
        out.append("...")
    return " ".join(out)


def f_upper(value: Any, argument: Any = None) -> str:
    return to_str(value).upper()


def f_urlencode(value: Any, argument: Any = None) -> str:
    return quote_plus(to_str(value), safe="")


_URLIZE_URL = r"((((http|https)://)|www\.|((^|[ ])[0-9A-Za-z_\-]+(\.com|\.net|\.org|\.info|\.biz|\.de))))(?U:.*)([ ]+|$)"
_URLIZE_MAIL = r"(\w+@\w+\.\w{2,4})"


def _urlize(text: str, autoescape: bool, trunc: int) -> str:
    def link(match: Any) -> str:
        raw = match.group(0)
        prefix = " " if raw.startswith(" ") else ""
        suffix = " " if raw.endswith(" ") else ""
        raw = raw.strip()
        url = f_iriencode(raw)
        if not url.startswith("http"):
            url = "http://" + url
        title = raw
        if trunc > 3 and len(title) > trunc:
            title = title[: trunc - 3] + "..."
        if autoescape:
            title = f_escape(title)
        return f'{prefix}<a href="{url}" rel="nofollow">{title}</a>{suffix}'

    def mail(match: Any) -> str:
        address = match.group(0)
        title = address
        if trunc > 3 and len(title) > trunc:
            title = title[: trunc - 3] + "..."
        return f'<a href="mailto:{address}">{title}</a>'

    text = compile_go(_URLIZE_URL).sub(link, text)
    return compile_go(_URLIZE_MAIL).sub(mail, text)


def f_urlize(value: Any, argument: Any = None) -> str:
    autoescape = argument if isinstance(argument, bool) else True
    return _urlize(to_str(value), autoescape, -1)


def f_urlizetrunc(value: Any, argument: Any = None) -> str:
    return _urlize(to_str(value), True, to_int(argument))


def f_wordcount(value: Any, argument: Any = None) -> int:
    return len(to_str(value).split())


def f_wordwrap(value: Any, argument: Any = None) -> Any:
    words = to_str(value).split()
    per_line = to_int(argument)
    if per_line <= 0:
        return value
    return "\n".join(" ".join(words[i : i + per_line]) for i in range(0, len(words), per_line))


def f_yesno(value: Any, argument: Any = None) -> str:
    choices = ["yes", "no", "maybe"]
    text = to_str(argument)
    if text:
        custom = text.split(",")
        if len(custom) > 3:
            raise TemplateError(f"you cannot pass more than 3 options to the 'yesno'-filter (got: '{text}')")
        if len(custom) < 2:
            raise TemplateError(f"you must either pass no or at least 2 arguments to the 'yesno'-filter (got: '{text}')")
        choices[: len(custom)] = custom
    if value is None:
        return choices[2]
    return choices[0] if value else choices[1]


_SPACELESS = re.compile(r">\s+<")


def f_spaceless(value: Any, argument: Any = None) -> str:
    """Internal: the body of ``{% spaceless %}``."""
    return _SPACELESS.sub("><", to_str(value).strip())


FILTERS: dict[str, Callable[..., Any]] = {
    # Flyte
    "key": f_key,
    "match": f_match,
    "extractMatch": f_extract_match,
    "kvp": f_kvp,
    "index": f_index,
    "matchesCron": f_matches_cron,
    "removedupwhitespaces": f_removedupwhitespaces,
    "safecopypaste": f_safecopypaste,
    # added here (not in the original): quoting event text for the Shell pack's bash -c
    "shellquote": f_shellquote,
    # pongo2
    "add": f_add,
    "addslashes": f_addslashes,
    "capfirst": f_capfirst,
    "center": f_center,
    "cut": f_cut,
    "date": f_date,
    "default": f_default,
    "default_if_none": f_default_if_none,
    "divisibleby": f_divisibleby,
    "e": f_escape,
    "escape": f_escape,
    "escapejs": f_escapejs,
    "first": f_first,
    "float": f_float,
    "floatformat": f_floatformat,
    "get_digit": f_get_digit,
    "integer": f_integer,
    "iriencode": f_iriencode,
    "join": f_join,
    "last": f_last,
    "length": f_length,
    "length_is": f_length_is,
    "linebreaks": f_linebreaks,
    "linebreaksbr": f_linebreaksbr,
    "linenumbers": f_linenumbers,
    "ljust": f_ljust,
    "lower": f_lower,
    "make_list": f_make_list,
    "phone2numeric": f_phone2numeric,
    "pluralize": f_pluralize,
    "random": f_random,
    "removetags": f_removetags,
    "rjust": f_rjust,
    "safe": f_safe,
    "slice": f_slice,
    "split": f_split,
    "stringformat": f_stringformat,
    "striptags": f_striptags,
    "time": f_date,
    "title": f_title,
    "truncatechars": f_truncatechars,
    "truncatewords": f_truncatewords,
    "upper": f_upper,
    "urlencode": f_urlencode,
    "urlize": f_urlize,
    "urlizetrunc": f_urlizetrunc,
    "wordcount": f_wordcount,
    "wordwrap": f_wordwrap,
    "yesno": f_yesno,
}

INTERNAL_FILTERS: dict[str, Callable[..., Any]] = {"_fl_spaceless": f_spaceless}
