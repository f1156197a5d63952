"""Translate a pongo2 template into the Jinja2 source the sandbox compiles.

Text outside tags is copied verbatim; every tag is re-emitted with its expressions rewritten by
:mod:`.expressions`; each emitted tag keeps the newlines of the original one, so line numbers in
the Jinja2 source are the original line numbers. Anything Flyte cannot run (unknown tags, tags
that would read files, unknown filters, reserved names) is reported here with its position.

pongo2 tags and their Jinja2 form:

=====================================  ==================================================
``{% for k, v in x reversed sorted %}``  ``{% for forloop, k, v in _fl_iter(x, 2, ...) %}``
``{% empty %}``                          ``{% else %}``
``{% ifequal a b %}``                    ``{% if (a == b) %}``
``{% firstof a b %}`` / ``cycle`` /      ``{{ _fl_firstof(a, b) }}`` ... (runtime helpers)
``now`` / ``widthratio`` / ``lorem``
``{% spaceless %}``                      ``{% filter _fl_spaceless %}``
``{% ifchanged %}``                      ``loop.changed(...)``
``{% comment %}``, ``{# #}``             a Jinja2 comment holding only the newlines
``{% verbatim %}``, ``{% raw %}``        the content as one string value
``{% macro %}``                          ``{% macro %}`` + a call counter (bounded work)
=====================================  ==================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .expressions import CRON_FILTERS, REGEX_FILTERS, RESERVED_PREFIX, ExpressionParser, jinja_name
from .lexer import Comment, Raw, SourceError, Tag, Text, Token, scan

UNSUPPORTED_TAGS = {
    "include": "templates cannot read files",
    "extends": "templates cannot read files",
    "import": "templates cannot read files",
    "ssi": "templates cannot read files",
    "block": "template inheritance is not available",
    "exec": "not available",
    "call": "not available",
    "from": "templates cannot read files",
    "do": "not available",
    "break": "not available",
    "continue": "not available",
}
_TEMPLATETAGS = {
    "openblock": "{%",
    "closeblock": "%}",
    "openvariable": "{{",
    "closevariable": "}}",
    "openbrace": "{",
    "closebrace": "}",
    "opencomment": "{#",
    "closecomment": "#}",
}
_BLOCK_ENDS = {
    "if": "endif",
    "for": "endfor",
    "with": "endwith",
    "filter": "endfilter",
    "spaceless": "endspaceless",
    "ifchanged": "endifchanged",
    "ifequal": "endifequal",
    "ifnotequal": "endifnotequal",
    "macro": "endmacro",
    "autoescape": "endautoescape",
    "set": "endset",
}
_ENDS = {end: start for start, end in _BLOCK_ENDS.items()}


@dataclass
class Translation:
    source: str
    regexes: list[tuple[str, int]] = field(default_factory=list)  # literal patterns, offsets
    crons: list[tuple[str, int]] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)  # offsets of every tag, for error positions
    # one (start, end) per {{ }} of the Jinja2 source, in order: the span of the tag it came from,
    # or NO_SPAN for a constant the translator adds itself (a "\r", a whitespace-trim marker)
    outputs: list[tuple[int, int]] = field(default_factory=list)


NO_SPAN = (-1, -1)


@dataclass
class _Open:
    name: str
    tag: Tag
    else_seen: bool = False
    var: str | None = None  # ifchanged without arguments: the captured content


class Translator:
    def __init__(self, source: str, filters: frozenset[str], tests: frozenset[str]) -> None:
        self.source = source
        self.filters = filters
        self.tests = tests
        self.out: list[str] = []
        self.stack: list[_Open] = []
        self.for_depth = 0
        self.counter = 0
        self.result = Translation("")

    # -- driver ----------------------------------------------------------------------------------
    def translate(self) -> Translation:
        segments = scan(self.source)
        for index, segment in enumerate(segments):
            if isinstance(segment, Text):
                self.text(segment, segments, index)
            elif isinstance(segment, Tag):
                self.result.tags.append(segment.start)
                if segment.kind == "var":
                    self.var_tag(segment)
                else:
                    self.block_tag(segment)
            elif isinstance(segment, Comment):
                self.out.append("{#" + "\n" * segment.newlines + "#}")
            else:
                self.raw(segment)
        if self.stack:
            still_open = self.stack[-1]
            raise SourceError(
                f"{{% {still_open.name} %}} is not closed: expected {{% {_BLOCK_ENDS[still_open.name]} %}}", still_open.tag.start
            )
        self.result.source = "".join(self.out)
        return self.result

    def on_literal(self, filter_name: str, value: object, offset: int) -> None:
        if not isinstance(value, str):
            return
        if filter_name in REGEX_FILTERS:
            self.result.regexes.append((value, offset))
        elif filter_name in CRON_FILTERS:
            self.result.crons.append((value, offset))

    def parser(self, tag: Tag, skip: int = 1) -> ExpressionParser:
        parser = ExpressionParser(tag.tokens, tag.end - 2, self.filters, self.tests, self.on_literal)
        parser.i = skip
        return parser

    # -- emission helpers ------------------------------------------------------------------------
    def text(self, segment: Text, segments: list, index: int) -> None:
        chunk = self.source[segment.start : segment.end]
        if "\r" not in chunk:
            self.out.append(chunk)
            return
        # Jinja2 turns "\r\n" into "\n" in template data; keep carriage returns as values,
        # except in whitespace that a neighbouring {%- -%} marker removes anyway.
        lead = trail = 0
        previous = segments[index - 1] if index > 0 else None
        following = segments[index + 1] if index + 1 < len(segments) else None
        if _trims_right(previous):
            lead = len(chunk) - len(chunk.lstrip())
        if _trims_left(following):
            trail = len(chunk) - len(chunk.rstrip())
        middle = chunk[lead : len(chunk) - trail]
        self.out.append(chunk[:lead])
        self.out.append(middle.replace("\r", "{{ '\\r' }}"))
        self.result.outputs.extend([NO_SPAN] * middle.count("\r"))
        self.out.append(chunk[len(chunk) - trail :])

    @staticmethod
    def _open(tag: Tag, var: bool = False) -> str:
        return ("{{" if var else "{%") + ("-" if tag.trim_left else "") + " "

    @staticmethod
    def _close(tag: Tag, var: bool = False) -> str:
        return "\n" * tag.newlines + " " + ("-" if tag.trim_right else "") + ("}}" if var else "%}")

    def emit_block(self, tag: Tag, content: str) -> None:
        self.out.append(self._open(tag) + content + self._close(tag))

    def emit_var(self, tag: Tag, expression: str) -> None:
        self.result.outputs.append((tag.start, tag.end))
        self.out.append(self._open(tag, True) + expression + self._close(tag, True))

    def emit_parts(self, tag: Tag, parts: list[tuple[str, str]]) -> None:
        """Several Jinja2 tags for one pongo2 tag: markers on the outer ends, newlines at the end."""
        texts = []
        for index, (kind, content) in enumerate(parts):
            var = kind == "var"
            opening = ("{{" if var else "{%") + ("-" if index == 0 and tag.trim_left else "") + " "
            closing = " " + ("-" if index == len(parts) - 1 and tag.trim_right else "") + ("}}" if var else "%}")
            if index == len(parts) - 1:
                closing = "\n" * tag.newlines + closing
            if var:
                self.result.outputs.append((tag.start, tag.end))
            texts.append(opening + content + closing)
        self.out.append("".join(texts))

    def raw(self, segment: Raw) -> None:
        content = self.source[segment.content_start : segment.content_end]
        if segment.kind == "comment":
            if segment.open_tag.trim_left:
                self.result.outputs.append(NO_SPAN)
                self.out.append("{{- '' }}")
            self.out.append("{#" + "\n" * (segment.open_tag.newlines + content.count("\n") + segment.close_tag.newlines) + "#}")
            if segment.close_tag.trim_right:
                self.result.outputs.append(NO_SPAN)
                self.out.append("{{ '' -}}")
            return
        # the content as one string value: nothing in it can end the block early
        newlines = segment.open_tag.newlines + content.count("\n") + segment.close_tag.newlines
        opening = "{{" + ("-" if segment.open_tag.trim_left else "") + " "
        closing = "\n" * newlines + " " + ("-" if segment.close_tag.trim_right else "") + "}}"
        self.result.outputs.append((segment.open_tag.start, segment.close_tag.end))
        self.out.append(opening + repr(content) + closing)

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{RESERVED_PREFIX}{stem}{self.counter}"

    def loop_ref(self) -> str:
        return "forloop" if self.for_depth else "None"

    def check_target(self, tok: Token) -> str:
        """The Jinja2 name a variable the template binds gets (see jinja_name)."""
        if tok.value.startswith(RESERVED_PREFIX) or tok.value in ("forloop", "loop"):
            raise SourceError(f"{tok.value!r} is a reserved name", tok.pos)
        return jinja_name(tok.value)

    # -- tags ------------------------------------------------------------------------------------
    def var_tag(self, tag: Tag) -> None:
        if not tag.tokens:
            raise SourceError("empty {{ }}: expected an expression", tag.start)
        parser = self.parser(tag, 0)
        expression = parser.expression()
        parser.expect_end("{{ }}")
        self.emit_var(tag, expression)

    def block_tag(self, tag: Tag) -> None:
        if not tag.tokens or tag.tokens[0].kind != "name":
            raise SourceError("expected a tag name after '{%'", tag.tokens[0].pos if tag.tokens else tag.start)
        name = tag.tokens[0].value
        if name in _ENDS:
            self.end_tag(tag, name)
            return
        handler = getattr(self, "tag_" + name, None)
        if handler is None:
            if name in UNSUPPORTED_TAGS:
                raise SourceError(f"tag {name!r} is not supported: {UNSUPPORTED_TAGS[name]}", tag.tokens[0].pos)
            raise SourceError(f"unknown tag {name!r}", tag.tokens[0].pos)
        handler(tag, self.parser(tag))

    def push(self, name: str, tag: Tag, var: str | None = None) -> None:
        self.stack.append(_Open(name, tag, var=var))

    def end_tag(self, tag: Tag, name: str) -> None:
        opener = _ENDS[name]
        if len(tag.tokens) > 1 and not (name == "endmacro" and len(tag.tokens) == 2):
            raise SourceError(f"unexpected input after {name!r}", tag.tokens[1].pos)
        if not self.stack:
            raise SourceError(f"unexpected {{% {name} %}}: no {{% {opener} %}} is open", tag.start)
        top = self.stack[-1]
        if top.name != opener:
            raise SourceError(
                f"unexpected {{% {name} %}}: {{% {top.name} %}} is still open (expected {{% {_BLOCK_ENDS[top.name]} %}})",
                tag.start,
            )
        self.stack.pop()
        if opener == "for":
            self.for_depth -= 1
        if opener == "ifchanged" and top.var is not None:
            if top.else_seen:
                self.emit_block(tag, "endif")
            else:
                self.emit_parts(
                    tag, [("block", "endset"), ("block", f"if loop.changed({top.var})"), ("var", top.var), ("block", "endif")]
                )
            return
        jinja = {"ifchanged": "endif", "ifequal": "endif", "ifnotequal": "endif", "spaceless": "endfilter"}.get(opener, name)
        self.emit_block(tag, jinja)

    def tag_if(self, tag: Tag, p: ExpressionParser) -> None:
        condition = p.expression()
        p.expect_end("{% if %}")
        self.push("if", tag)
        self.emit_block(tag, f"if {condition}")

    def tag_elif(self, tag: Tag, p: ExpressionParser) -> None:
        if not self.stack or self.stack[-1].name != "if" or self.stack[-1].else_seen:
            raise SourceError("{% elif %} outside of {% if %}", tag.start)
        condition = p.expression()
        p.expect_end("{% elif %}")
        self.emit_block(tag, f"elif {condition}")

    def tag_else(self, tag: Tag, p: ExpressionParser) -> None:
        p.expect_end("{% else %}")
        top = self.stack[-1] if self.stack else None
        if top is None or top.name not in ("if", "for", "ifequal", "ifnotequal", "ifchanged") or top.else_seen:
            raise SourceError("{% else %} outside of {% if %}, {% for %} or {% ifchanged %}", tag.start)
        top.else_seen = True
        if top.name == "ifchanged" and top.var is not None:
            self.emit_parts(
                tag, [("block", "endset"), ("block", f"if loop.changed({top.var})"), ("var", top.var), ("block", "else")]
            )
            return
        self.emit_block(tag, "else")

    def tag_empty(self, tag: Tag, p: ExpressionParser) -> None:
        p.expect_end("{% empty %}")
        top = self.stack[-1] if self.stack else None
        if top is None or top.name != "for" or top.else_seen:
            raise SourceError("{% empty %} outside of {% for %}", tag.start)
        top.else_seen = True
        self.emit_block(tag, "else")

    def tag_for(self, tag: Tag, p: ExpressionParser) -> None:
        targets = [p.expect_name("a loop variable")]
        if p.at_op(","):
            p.next()
            targets.append(p.expect_name("a second loop variable"))
        names = ", ".join(self.check_target(target) for target in targets)
        if not p.at_name("in"):
            p.fail("expected 'in'")
        p.next()
        iterable = p.logic()
        reverse = sort = False
        if p.at_name("reversed"):
            p.next()
            reverse = True
        if p.at_name("sorted"):
            p.next()
            sort = True
        p.expect_end("{% for %}")
        self.emit_block(
            tag, f"for forloop, {names} in _fl_iter({iterable}, {len(targets)}, {reverse}, {sort}, {self.loop_ref()})"
        )
        self.push("for", tag)
        self.for_depth += 1

    def tag_set(self, tag: Tag, p: ExpressionParser) -> None:
        target = self.check_target(p.expect_name("a variable name"))
        if p.at_end():
            self.push("set", tag)
            self.emit_block(tag, f"set {target}")
            return
        p.expect_op("=", "'='")
        value = p.expression()
        p.expect_end("{% set %}")
        self.emit_block(tag, f"set {target} = {value}")

    def tag_with(self, tag: Tag, p: ExpressionParser) -> None:
        pairs: list[str] = []
        if p.peek().kind == "name" and p.peek(1).kind == "op" and p.peek(1).value == "=":
            while not p.at_end():
                if pairs and p.at_op(","):
                    p.next()
                name = self.check_target(p.expect_name("a variable name"))
                p.expect_op("=", "'='")
                pairs.append(f"{name}={p.expression()}")
        else:
            value = p.expression()
            if not p.at_name("as"):
                p.fail("expected 'as' or name=value pairs")
            p.next()
            name = self.check_target(p.expect_name("a variable name"))
            p.expect_end("{% with %}")
            pairs.append(f"{name}={value}")
        if not pairs:
            p.fail("expected name=value pairs")
        self.push("with", tag)
        self.emit_block(tag, "with " + ", ".join(pairs))

    def tag_firstof(self, tag: Tag, p: ExpressionParser) -> None:
        values = []
        while not p.at_end():
            values.append(p.expression())
        if not values:
            p.fail("expected at least one value")
        self.emit_var(tag, f"_fl_firstof({', '.join(values)})")

    def tag_cycle(self, tag: Tag, p: ExpressionParser) -> None:
        values = []
        while not p.at_end() and not p.at_name("as"):
            values.append(p.expression())
        if not values:
            p.fail("expected at least one value")
        call = f"_fl_cycle({self.loop_ref()}, [{', '.join(values)}])"
        if p.at_name("as"):
            p.next()
            name = self.check_target(p.expect_name("a variable name"))
            silent = False
            if p.at_name("silent"):
                p.next()
                silent = True
            p.expect_end("{% cycle %}")
            parts = [("block", f"set {name} = {call}")]
            parts.append(("var", "''" if silent else name))
            self.emit_parts(tag, parts)
            return
        self.emit_var(tag, call)

    def tag_filter(self, tag: Tag, p: ExpressionParser) -> None:
        chain = p.filter_chain()
        p.expect_end("{% filter %}")
        self.push("filter", tag)
        self.emit_block(tag, "filter " + "|".join(chain))

    def tag_spaceless(self, tag: Tag, p: ExpressionParser) -> None:
        p.expect_end("{% spaceless %}")
        self.push("spaceless", tag)
        self.emit_block(tag, "filter _fl_spaceless")

    def tag_ifchanged(self, tag: Tag, p: ExpressionParser) -> None:
        if not self.for_depth:
            raise SourceError("{% ifchanged %} outside of {% for %}", tag.start)
        values = []
        while not p.at_end():
            values.append(p.expression())
        if values:
            self.push("ifchanged", tag)
            self.emit_block(tag, f"if loop.changed({', '.join(values)})")
            return
        var = self.fresh("changed")
        self.push("ifchanged", tag, var=var)
        self.emit_block(tag, f"set {var}")

    def _ifequal(self, tag: Tag, p: ExpressionParser, name: str, op: str) -> None:
        left = p.expression()
        right = p.expression()
        p.expect_end(f"{{% {name} %}}")
        self.push(name, tag)
        self.emit_block(tag, f"if ({left} {op} {right})")

    def tag_ifequal(self, tag: Tag, p: ExpressionParser) -> None:
        self._ifequal(tag, p, "ifequal", "==")

    def tag_ifnotequal(self, tag: Tag, p: ExpressionParser) -> None:
        self._ifequal(tag, p, "ifnotequal", "!=")

    def tag_now(self, tag: Tag, p: ExpressionParser) -> None:
        layout = p.expression()
        fake = False
        if p.at_name("fake"):
            p.next()
            fake = True
        p.expect_end("{% now %}")
        self.emit_var(tag, f"_fl_now({layout}, {fake})")

    def tag_templatetag(self, tag: Tag, p: ExpressionParser) -> None:
        name = p.expect_name("one of " + ", ".join(_TEMPLATETAGS))
        if name.value not in _TEMPLATETAGS:
            raise SourceError(f"unknown templatetag {name.value!r}", name.pos)
        p.expect_end("{% templatetag %}")
        self.emit_var(tag, repr(_TEMPLATETAGS[name.value]))

    def tag_widthratio(self, tag: Tag, p: ExpressionParser) -> None:
        current, maximum, width = p.expression(), p.expression(), p.expression()
        call = f"_fl_widthratio({current}, {maximum}, {width})"
        if p.at_name("as"):
            p.next()
            name = self.check_target(p.expect_name("a variable name"))
            p.expect_end("{% widthratio %}")
            self.emit_block(tag, f"set {name} = {call}")
            return
        p.expect_end("{% widthratio %}")
        self.emit_var(tag, call)

    def tag_lorem(self, tag: Tag, p: ExpressionParser) -> None:
        count = "1"
        method = "b"
        random = False
        if not p.at_end() and not p.at_name("w", "p", "b", "random"):
            count = p.expression()
        if p.at_name("w", "p", "b"):
            method = p.next().value
        if p.at_name("random"):
            p.next()
            random = True
        p.expect_end("{% lorem %}")
        self.emit_var(tag, f"_fl_lorem({count}, {method!r}, {random})")

    def tag_macro(self, tag: Tag, p: ExpressionParser) -> None:
        name = self.check_target(p.expect_name("a macro name"))
        p.expect_op("(", "'(' after the macro name")
        params: list[str] = []
        while not p.at_op(")"):
            if params:
                p.expect_op(",", "',' or ')'")
            param = self.check_target(p.expect_name("a parameter name"))
            if p.at_op("="):
                p.next()
                params.append(f"{param}={p.expression()}")
            else:
                params.append(param)
        p.next()
        if p.at_name("export"):
            p.next()
        p.expect_end("{% macro %}")
        self.push("macro", tag)
        self.emit_parts(tag, [("block", f"macro {name}({', '.join(params)})"), ("var", "_fl_tick()")])

    def tag_autoescape(self, tag: Tag, p: ExpressionParser) -> None:
        mode = p.expect_name("'on' or 'off'")
        if mode.value not in ("on", "off", "true", "false"):
            raise SourceError("expected 'on' or 'off'", mode.pos)
        p.expect_end("{% autoescape %}")
        self.push("autoescape", tag)
        self.emit_block(tag, "autoescape " + ("true" if mode.value in ("on", "true") else "false"))


def _trims_right(segment: object) -> bool:
    if isinstance(segment, Tag):
        return segment.trim_right
    if isinstance(segment, Raw):
        return segment.close_tag.trim_right
    return False


def _trims_left(segment: object) -> bool:
    if isinstance(segment, Tag):
        return segment.trim_left
    if isinstance(segment, Raw):
        return segment.open_tag.trim_left
    return False


def translate(source: str, filters: frozenset[str], tests: frozenset[str]) -> Translation:
    return Translator(source, filters, tests).translate()
