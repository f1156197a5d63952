"""pongo2's lexer: split a template into text, ``{{ }}``/``{% %}`` tags (tokenized), comments.

Token rules follow pongo2: identifiers ``[A-Za-z_][A-Za-z0-9_]*``, integer numbers, strings in
``'...'`` or ``"..."`` whose only escapes are ``\\\\`` and ``\\"`` (plus ``\\'``, an extension), no
newline inside a string, and pongo2's symbols (``&&``, ``||``, ``!``, ``<>``, ``^``, ``:`` ...) plus
Jinja2's ``[ ] { } ~ ** //``. Anything else inside a tag (a backtick, ``$``, ``;``) is an error.
Positions are offsets into the original source; :class:`SourceMap` turns them into line/column.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .errors import TemplateError


class SourceMap:
    """Offsets to 1-based (line, column); lines end at ``\\n``, columns count characters."""

    def __init__(self, source: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1


class SourceError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(slots=True)
class Token:
    kind: str  # "name", "int", "str", "op", "eof"
    value: str
    pos: int


@dataclass(slots=True)
class Text:
    start: int
    end: int


@dataclass(slots=True)
class Tag:
    kind: str  # "var" or "block"
    start: int
    end: int
    tokens: list[Token]
    trim_left: bool
    trim_right: bool
    newlines: int = 0


@dataclass(slots=True)
class Comment:
    start: int
    end: int
    newlines: int = 0


@dataclass(slots=True)
class Raw:
    """``{% verbatim %}``/``{% raw %}`` (content kept) or ``{% comment %}`` (content dropped)."""

    kind: str  # "raw" or "comment"
    open_tag: Tag
    content_start: int
    content_end: int
    close_tag: Tag


_TAG_START = re.compile(r"\{[{%#]")
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")
_DIGITS = frozenset("0123456789")
_SPACE = frozenset(" \t\r\n")
_SYMBOLS2 = ("==", "!=", "<>", "<=", ">=", "&&", "||", "**", "//")
_SYMBOLS1 = frozenset("()[]{}+-*/%^!<>.,:|=~")
_RAW_END = {
    "verbatim": re.compile(r"\{%-?\s*endverbatim\s*-?%\}"),
    "raw": re.compile(r"\{%-?\s*endraw\s*-?%\}"),
    "comment": re.compile(r"\{%-?\s*endcomment\s*-?%\}"),
}


def _lex_string(source: str, pos: int) -> tuple[str, int]:
    quote = source[pos]
    i = pos + 1
    n = len(source)
    out: list[str] = []
    while True:
        if i >= n:
            raise SourceError("string not closed", pos)
        c = source[i]
        if c == quote:
            return "".join(out), i + 1
        if c == "\n":
            raise SourceError("newline in a string is not allowed", pos)
        if c == "\\":
            nxt = source[i + 1] if i + 1 < n else ""
            if nxt in ('"', "\\", "'"):
                out.append(nxt)
                i += 2
                continue
            shown = nxt if nxt and nxt not in "\r\n" else "(end)"
            raise SourceError(
                f'unknown escape sequence \\{shown} in a string: only \\\\ and \\" '
                f"are allowed (write \\\\{shown} for a backslash followed by {shown!r})",
                i,
            )
        out.append(c)
        i += 1


def lex_tag(source: str, start: int, kind: str) -> Tag:
    """Tokenize the tag opening at ``start`` (``{{`` or ``{%``)."""
    n = len(source)
    pos = start + 2
    trim_left = source.startswith("-", pos)
    if trim_left:
        pos += 1
    closer = "}}" if kind == "var" else "%}"
    tokens: list[Token] = []
    depth = 0
    newlines = 0
    while True:
        while pos < n and source[pos] in _SPACE:
            if source[pos] == "\n":
                newlines += 1
            pos += 1
        if pos >= n:
            what = "{{ ... }}" if kind == "var" else "{% ... %}"
            raise SourceError(f"tag not closed: expected {closer!r} to end {what}", start)
        if depth == 0:
            if source.startswith("-" + closer, pos):
                return Tag(kind, start, pos + 3, tokens, trim_left, True, newlines)
            if source.startswith(closer, pos):
                return Tag(kind, start, pos + 2, tokens, trim_left, False, newlines)
        c = source[pos]
        if c in _NAME_START:
            end = pos + 1
            while end < n and source[end] in _NAME_CHARS:
                end += 1
            tokens.append(Token("name", source[pos:end], pos))
            pos = end
        elif c in _DIGITS:
            end = pos + 1
            while end < n and source[end] in _DIGITS:
                end += 1
            if end < n and source[end] in _NAME_CHARS:
                raise SourceError("a name cannot start with a digit", pos)
            tokens.append(Token("int", source[pos:end], pos))
            pos = end
        elif c == '"' or c == "'":
            value, end = _lex_string(source, pos)
            tokens.append(Token("str", value, pos))
            pos = end
        else:
            two = source[pos : pos + 2]
            if two in _SYMBOLS2:
                tokens.append(Token("op", two, pos))
                pos += 2
            elif c in _SYMBOLS1:
                if c == "{":
                    depth += 1
                elif c == "}":
                    if depth == 0:
                        raise SourceError("unexpected '}' in a tag", pos)
                    depth -= 1
                tokens.append(Token("op", c, pos))
                pos += 1
            else:
                shown = "backtick" if c == "`" else repr(c)
                raise SourceError(f"unexpected character {shown} in a tag", pos)


def _tag_name(tag: Tag) -> str | None:
    if tag.kind == "block" and tag.tokens and tag.tokens[0].kind == "name":
        return tag.tokens[0].value
    return None


def scan(source: str) -> list[Text | Tag | Comment | Raw]:
    """Split ``source`` into segments, in order."""
    segments: list[Text | Tag | Comment | Raw] = []
    pos = 0
    text_start = 0
    n = len(source)
    while pos < n:
        m = _TAG_START.search(source, pos)
        if m is None:
            break
        start = m.start()
        if start > text_start:
            segments.append(Text(text_start, start))
        marker = source[start + 1]
        if marker == "#":
            end = source.find("#}", start + 2)
            if end < 0:
                raise SourceError("comment not closed: expected '#}'", start)
            segments.append(Comment(start, end + 2, source.count("\n", start, end)))
            pos = text_start = end + 2
            continue
        tag = lex_tag(source, start, "var" if marker == "{" else "block")
        name = _tag_name(tag)
        if name in _RAW_END:
            closing = _RAW_END[name].search(source, tag.end)
            if closing is None:
                raise SourceError(f"{name!r} tag not closed: expected {{% end{name} %}}", start)
            close_tag = lex_tag(source, closing.start(), "block")
            segments.append(Raw("comment" if name == "comment" else "raw", tag, tag.end, closing.start(), close_tag))
            pos = text_start = close_tag.end
            continue
        segments.append(tag)
        pos = text_start = tag.end
    if text_start < n:
        segments.append(Text(text_start, n))
    return segments


def error_at(source_map: SourceMap, message: str, offset: int) -> TemplateError:
    line, column = source_map.position(offset)
    return TemplateError(message, line, column)
