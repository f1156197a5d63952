"""Bounds on every input, checked before the input can hurt: how deep, how big, which numbers and
which characters a document may hold, and what a name may be.

Every limit is here, once, and documented in the README ("Limits"). They follow from what the
service stands on: a DynamoDB item holds 400 KB and a key 1,024-2,048 bytes, a Lambda response
6 MB; Go's JSON decoder (flyte-client packs) reads neither NaN nor lone surrogates; a name becomes a
URL path segment, a DynamoDB key and text a user reads, so it must be visible and unambiguous.

Documents are checked in two steps. Before parsing: their size, and their nesting (JSON by a scan
of the text, YAML while composing), so that no parser recursion can overflow. After parsing: one
walk that refuses what JSON cannot carry (NaN, infinities, integers beyond 64 bits, lone
surrogates, YAML's binary/set/ordered-map types) and names the field. YAML timestamps and dates,
which the original passed on as the text written, stay that text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, overload

from .errors import InvalidInput, TooLarge

MAX_DEPTH = 64  # nesting of objects and lists in any document
MAX_DOCUMENT_BYTES = 1024 * 1024  # a JSON request body, before parsing
MAX_YAML_BYTES = 64 * 1024  # a YAML request body: PyYAML parses 2-30 us of CPU per character, in pure Python
MAX_YAML_EXPANSION = 1_000_000  # nodes plus scalar characters of a YAML document with aliases expanded
MAX_INTEGER = 2**63 - 1  # Go's int64; beyond it flyte-client packs could not read the number back
MAX_PAYLOAD_BYTES = 100_000  # an event's or result's payload as JSON: an action item holds its trigger, input and result
MAX_CONTEXT_BYTES = 50_000  # a step's rendered context, kept in each action with its input
MAX_FLOW_BYTES = 200_000  # a flow as JSON (stored twice: current and version)
MAX_PACK_BYTES = 100_000  # a pack registration as JSON
MAX_NAME_BYTES = 256  # names of flows, packs, commands, events, steps; label keys and values
MAX_PACK_ID_BYTES = 1024  # name and labels together (the pack id, a DynamoDB partition key of at most 2,048 bytes)
MAX_KEY_BYTES = 1024  # a datastore key (a DynamoDB partition key)
MAX_PATH_SEGMENT_BYTES = max(MAX_KEY_BYTES, MAX_PACK_ID_BYTES)  # a name or key in a URL
MAX_DESCRIPTION_BYTES = 4096  # a datastore item's description
MAX_HEADER_VALUE_BYTES = 1024  # headers the API reads (Accept, content-type, host) or writes back
MAX_RESPONSE_BYTES = 5_000_000  # a response body: a Lambda response carries at most 6 MB
LIST_BUDGET_BYTES = 2_000_000  # the JSON of a list page; the next page starts where it stops (YAML runs larger)
LIST_VALUE_BYTES = 8_192  # a payload, input or result shown in a list; larger ones are cut, linked in full

_INTEGER_DIGITS = len(str(MAX_INTEGER))
# Characters that are not visible or change how the text around them is displayed: controls (Cc),
# format characters (Cf: zero-width, bidi embeddings, overrides and isolates, BOM), surrogates (Cs),
# line and paragraph separators (Zl, Zp), spaces other than the ASCII space (Zs), plus the Hangul
# fillers and braille blank, which render as nothing.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp", "Zs"}
_INVISIBLE_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
_DOT_SEGMENTS = {".", ".."}


# --- names -----------------------------------------------------------------------------------------


def check_name(
    value: Any,
    field: str,
    *,
    what: str = "name",
    max_bytes: int = MAX_NAME_BYTES,
    path_segment: bool = True,
    allow_empty: bool = False,
) -> str:
    """A name a user types, reads, and that may become a path segment of a link and a DynamoDB key.

    Refused: non-strings, empty (unless allowed) or blank names, more than `max_bytes` UTF-8 bytes,
    invisible or display-changing characters, unpaired surrogates and Unicode noncharacters; for
    path segments also `/` and the dot segments `.` and `..`, which no link can carry (clients and
    proxies remove or split them). Everything else, `#`, `?`, `%` and spaces included, is
    percent-encoded in links.
    """
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} must be a string.", field=field)
    if not value.strip() and not (allow_empty and value == ""):
        raise InvalidInput(f"The {what} must not be empty or blank.", field=field)
    size = _utf8_size(value, field, what)
    if size > max_bytes:
        raise InvalidInput(
            f"The {what} has {size} bytes (UTF-8); at most {max_bytes} are allowed.", field=field, maxBytes=max_bytes
        )
    for position, character in enumerate(value):
        reason = _invisible(character)
        if reason:
            raise InvalidInput(
                f"The {what} contains {reason} U+{ord(character):04X} at position {position}; "
                "names may hold only visible characters and the ASCII space.",
                field=field,
            )
    if path_segment:
        if "/" in value:
            raise InvalidInput(f"The {what} must not contain '/': it is a segment of the resource's URL.", field=field)
        if value in _DOT_SEGMENTS:
            raise InvalidInput(f"The {what} must not be '.' or '..': links cannot address such a URL segment.", field=field)
    return value


def check_text(value: Any, field: str, *, what: str, max_bytes: int) -> str:
    """Free text (a description): any characters but unpaired surrogates, within `max_bytes`."""
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} must be a string.", field=field)
    size = _utf8_size(value, field, what)
    if size > max_bytes:
        raise InvalidInput(
            f"The {what} has {size} bytes (UTF-8); at most {max_bytes} are allowed.", field=field, maxBytes=max_bytes
        )
    return value


@overload
def check_header_value(value: str, name: str) -> str: ...
@overload
def check_header_value(value: None, name: str) -> None: ...
@overload
def check_header_value(value: str | None, name: str) -> str | None: ...
def check_header_value(value: str | None, name: str) -> str | None:
    """A header the API reads and may use in what it writes (links, content types): printable ASCII."""
    if value is None:
        return None
    if len(value) > MAX_HEADER_VALUE_BYTES:
        raise InvalidInput(
            f"The {name} header has {len(value)} characters; at most {MAX_HEADER_VALUE_BYTES} are read.",
            field=f"header {name}",
            maxBytes=MAX_HEADER_VALUE_BYTES,
        )
    if any(not (0x20 <= ord(c) < 0x7F) for c in value if c != "\t"):
        raise InvalidInput(f"The {name} header contains control characters or characters beyond ASCII.", field=f"header {name}")
    return value


def _invisible(character: str) -> str | None:
    if character == " ":
        return None
    if character in _INVISIBLE_LETTERS:
        return "the invisible character"
    if _is_noncharacter(character):
        return "the noncharacter"
    category = unicodedata.category(character)
    if category in _REFUSED_CATEGORIES:
        return {
            "Cc": "the control character",
            "Cf": "the invisible formatting character",
            "Cs": "the unpaired surrogate",
            "Zs": "the non-ASCII space",
        }.get(category, "the line separator")
    return None


def _is_noncharacter(character: str) -> bool:
    code = ord(character)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _utf8_size(value: str, field: str, what: str) -> int:
    try:
        return len(value.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise InvalidInput(
            f"The {what} contains an unpaired surrogate (U+{ord(value[error.start]):04X}) at position "
            f"{error.start}; text must be valid Unicode.",
            field=field,
        ) from None


# --- sizes -----------------------------------------------------------------------------------------


def json_size(value: Any) -> int:
    """Bytes of the value as compact UTF-8 JSON, as it is stored (times counted as their text)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))


def check_size(value: Any, max_bytes: int, *, what: str, field: str | None = None) -> Any:
    size = json_size(value)
    if size > max_bytes:
        extra = {"field": field} if field is not None else {}
        raise TooLarge(f"The {what} has {size} bytes as JSON; at most {max_bytes} are accepted.", maxBytes=max_bytes, **extra)
    return value


def check_document_size(text: str | bytes, what: str, max_bytes: int = MAX_DOCUMENT_BYTES, kind: str = "") -> None:
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise TooLarge(f"The {what} has {size} bytes; at most {max_bytes} are accepted{kind}.", maxBytes=max_bytes)


def fitting(sizes: list[int], budget: int = LIST_BUDGET_BYTES) -> int:
    """How many entries, in order, fit in the budget (always at least one, so that paging advances)."""
    total = 0
    for count, size in enumerate(sizes):
        total += size
        if total > budget and count > 0:
            return count
    return len(sizes)


def page(entries: list, start: int, budget: int = LIST_BUDGET_BYTES) -> tuple[list, int | None]:
    """The entries from `start` that fit in the budget, and where the next page starts (None: none)."""
    rest = entries[start:]
    count = fitting([json_size(entry) for entry in rest], budget)
    following = start + count
    return rest[:count], (following if following < len(entries) else None)


def cut(value: Any, href: str, max_bytes: int = LIST_VALUE_BYTES) -> Any:
    """The value, or when its JSON is larger than max_bytes a marker saying so and where to read it all."""
    size = json_size(value)
    if size <= max_bytes:
        return value
    return {"truncated": True, "bytes": size, "href": href}


def check_response_size(body: str) -> str:
    size = len(body.encode("utf-8"))
    if size > MAX_RESPONSE_BYTES:
        raise TooLarge(
            f"The response would have {size} bytes; at most {MAX_RESPONSE_BYTES} can be sent. "
            "Ask for less (a smaller limit) or for one record at a time.",
            maxBytes=MAX_RESPONSE_BYTES,
        )
    return body


# --- JSON ------------------------------------------------------------------------------------------


class _Refused:
    """A parsed value JSON cannot carry, kept in place so that the walk can name its field."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)


def load_json(text: str, what: str = "request body") -> Any:
    """Parse JSON within the bounds; syntax errors are left to the caller (json.JSONDecodeError)."""
    check_document_size(text, what)
    _check_json_depth(text, what)
    value = json.loads(text, parse_constant=_refuse_constant, parse_int=_bounded_int, parse_float=_finite_float)
    return check_json_compatible(value, what)


def _check_json_depth(text: str, what: str) -> None:
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, token.start()) + 1
                column = token.start() - text.rfind("\n", 0, token.start())
                raise InvalidInput(
                    f"The {what} nests deeper than {MAX_DEPTH} levels.", maxDepth=MAX_DEPTH, line=line, column=column
                )
        elif bracket in "]}":
            depth -= 1


def _refuse_constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a JSON number")


def _bounded_int(digits: str) -> int | _Refused:
    if len(digits.lstrip("-")) > _INTEGER_DIGITS or abs(int(digits)) > MAX_INTEGER:
        return _Refused(f"the integer has {len(digits.lstrip('-'))} digits; integers must lie within ±{MAX_INTEGER}")
    return int(digits)


def _finite_float(text: str) -> float | _Refused:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        return _Refused(f"{text} is beyond the largest number JSON readers accept")
    return number


def check_json_compatible(value: Any, what: str = "document") -> Any:
    """Refuse, naming the field, what JSON cannot carry: NaN and infinities, integers beyond 64 bits,
    unpaired surrogates, non-string keys, other types; and nesting deeper than MAX_DEPTH."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, (dict, list)) and depth > MAX_DEPTH:
            raise InvalidInput(f"The {what} nests deeper than {MAX_DEPTH} levels.", field=path, maxDepth=MAX_DEPTH)
        if isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, _Refused):
                    raise InvalidInput(f"The {what} has a key that {key.reason}.", field=path)
                if not isinstance(key, str):
                    raise InvalidInput(f"The {what} has a key of type {type(key).__name__}; keys must be strings.", field=path)
                child_path = member(path, key)
                _check_string(key, child_path, what, "key")
                stack.append((child, child_path, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{index}]", depth + 1) for index, child in enumerate(item))
        elif isinstance(item, str):
            _check_string(item, path, what, "value")
        elif isinstance(item, _Refused):
            raise InvalidInput(f"The {what} holds a value that cannot be JSON: {item.reason}.", field=path)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_INTEGER:
                raise InvalidInput(f"The {what} holds an integer beyond ±{MAX_INTEGER}.", field=path)
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise InvalidInput(f"The {what} holds {item}, which is not a JSON number.", field=path)
        else:
            raise InvalidInput(f"The {what} holds a {type(item).__name__}, which has no JSON form.", field=path)
    return value


def _check_string(text: str, path: str, what: str, kind: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidInput(
            f"The {what} has a {kind} with an unpaired surrogate (U+{ord(text[error.start]):04X}); text must be valid Unicode.",
            field=path,
        ) from None


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def member(path: str, key: str) -> str:
    """The field path of a key: `a.b` for identifiers, `a["x y"]` for any other key."""
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=True)}]"


def load_yaml(text: str, what: str = "request body") -> Any:
    """Parse YAML 1.1 within the bounds; syntax errors are left to the caller (yaml.YAMLError)."""
    from .bounded_yaml import BoundedYamlLoader  # PyYAML loads with the first YAML body, not before

    check_document_size(text, what, MAX_YAML_BYTES, f" as YAML (as JSON up to {MAX_DOCUMENT_BYTES})")
    loader = BoundedYamlLoader(text)
    loader.what = what
    try:
        value = loader.get_single_data()
    finally:
        loader.dispose()
    return check_json_compatible(value, what)
