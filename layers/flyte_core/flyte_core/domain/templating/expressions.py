"""pongo2 expressions parsed with pongo2's grammar and re-emitted as fully parenthesized Jinja2.

Grammar (low to high precedence), as pongo2 has it::

    expression := logic ['if' logic ['else' expression]]            (Jinja2 extension)
    logic      := relational [('and'|'or'|'&&'|'||') logic]          same level, chained right
    relational := additive [('=='|'!='|'<>'|'<'|'>'|'<='|'>=') relational
                           | 'in' additive | 'not' 'in' additive | 'is' ['not'] test]
    additive   := ['+'|'-'] ['!'|'not'] term (('+'|'-'|'~') term)*   unary applies to the first term
    term       := power (('*'|'/'|'%'|'//') power)*
    power      := factor [('^'|'**') power]
    factor     := '(' expression ')' | literal | path, each followed by filters
    path       := NAME ('.' NAME | '.' INT | '(' args ')' | '[' expression ']')*
    filters    := ('|' NAME [':' argument | '(' args ')'])*          argument: literal or path

So ``a and b or c`` means ``a and (b or c)`` and ``!a == b`` means ``(!a) == b``, as in pongo2.
The emitted Jinja2 is parenthesized so Jinja2's own precedence never applies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .lexer import SourceError, Token

REGEX_FILTERS = frozenset(("match", "extractMatch"))
CRON_FILTERS = frozenset(("matchesCron",))
RESERVED_PREFIX = "_fl_"
# Names Jinja2 gives a meaning of its own (`self` is the template object, the rest macro internals;
# `loop` inside a for is documented and kept). A template's variables of these names are renamed, so
# that unbound they are undefined like any other name and the template language does not reveal the engine.
JINJA_OWN_NAMES = frozenset(("self", "varargs", "kwargs", "caller"))


def jinja_name(name: str) -> str:
    return f"{RESERVED_PREFIX}name_{name}" if name in JINJA_OWN_NAMES else name


_KEYWORDS = frozenset(("and", "or", "not", "in", "is", "if", "else"))
_CONSTANTS = {"true": "True", "false": "False", "True": "True", "False": "False", "none": "None", "None": "None"}
_COMPARISONS = {"==": "==", "!=": "!=", "<>": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}

MAX_NESTING = 48

OnLiteral = Callable[[str, object, int], None]


class ExpressionParser:
    def __init__(
        self,
        tokens: Sequence[Token],
        end: int,
        filters: frozenset[str],
        tests: frozenset[str],
        on_literal: OnLiteral | None = None,
    ) -> None:
        self.tokens = tokens
        self.i = 0
        self.eof = Token("eof", "", end)
        self.filters = filters
        self.tests = tests
        self.on_literal = on_literal
        self.arg_count = 0
        self.depth = 0

    # -- token helpers ---------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        index = self.i + ahead
        return self.tokens[index] if index < len(self.tokens) else self.eof

    def at_op(self, *values: str) -> bool:
        tok = self.peek()
        return tok.kind == "op" and tok.value in values

    def at_name(self, *values: str) -> bool:
        tok = self.peek()
        return tok.kind == "name" and tok.value in values

    def next(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def expect_op(self, value: str, what: str | None = None) -> Token:
        if not self.at_op(value):
            self.fail(f"expected {what or repr(value)}")
        return self.next()

    def expect_name(self, what: str = "a name") -> Token:
        tok = self.peek()
        if tok.kind != "name":
            self.fail(f"expected {what}")
        self.i += 1
        return tok

    def fail(self, message: str, tok: Token | None = None) -> None:
        tok = tok or self.peek()
        found = "the end of the tag" if tok.kind == "eof" else repr(tok.value)
        raise SourceError(f"{message}, found {found}", tok.pos)

    def at_end(self) -> bool:
        return self.i >= len(self.tokens)

    def expect_end(self, what: str = "tag") -> None:
        if not self.at_end():
            self.fail(f"unexpected extra input in {what}")

    # -- grammar ---------------------------------------------------------------------------------
    def expression(self) -> str:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail(f"expression nested more than {MAX_NESTING} levels deep")
        try:
            return self._expression()
        finally:
            self.depth -= 1

    def nested(self, rule: Callable[[], str]) -> str:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail(f"expression nested more than {MAX_NESTING} levels deep")
        try:
            return rule()
        finally:
            self.depth -= 1

    def _expression(self) -> str:
        value = self.logic()
        if self.at_name("if"):
            self.next()
            condition = self.logic()
            otherwise = "None"
            if self.at_name("else"):
                self.next()
                otherwise = self.expression()
            return f"({value} if {condition} else {otherwise})"
        return value

    def logic(self) -> str:
        left = self.relational()
        tok = self.peek()
        if (tok.kind == "op" and tok.value in ("&&", "||")) or (tok.kind == "name" and tok.value in ("and", "or")):
            self.i += 1
            op = "and" if tok.value in ("&&", "and") else "or"
            right = self.nested(self.logic)
            return f"({left} {op} {right})"
        return left

    def relational(self) -> str:
        left = self.additive()
        tok = self.peek()
        if tok.kind == "op" and tok.value in _COMPARISONS:
            self.i += 1
            right = self.nested(self.relational)
            return f"({left} {_COMPARISONS[tok.value]} {right})"
        if tok.kind == "name":
            if tok.value == "in":
                self.i += 1
                return f"({left} in {self.additive()})"
            if tok.value == "not" and self.peek(1).kind == "name" and self.peek(1).value == "in":
                self.i += 2
                return f"({left} not in {self.additive()})"
            if tok.value == "is":
                self.i += 1
                negated = ""
                if self.at_name("not"):
                    self.next()
                    negated = "not "
                name = self.expect_name("a test name after 'is'")
                if name.value not in self.tests:
                    raise SourceError(f"unknown test {name.value!r}", name.pos)
                args = ""
                if self.at_op("("):
                    args = self.call_args()
                return f"({left} is {negated}{name.value}{args})"
        return left

    def additive(self) -> str:
        sign = None
        if self.at_op("+", "-"):
            sign = self.next().value
        negations = 0
        while self.at_op("!") or (self.at_name("not") and not (self.peek(1).kind == "name" and self.peek(1).value == "in")):
            self.next()
            negations += 1
        value = self.term()
        for _ in range(negations):
            value = f"(not {value})"
        if sign == "-":
            value = f"(-{value})"
        elif sign == "+":
            value = f"(+{value})"
        while self.at_op("+", "-", "~"):
            op = self.next().value
            right = self.term()
            value = f"({value} {op} {right})"
        return value

    def term(self) -> str:
        value = self.power()
        while self.at_op("*", "/", "%", "//"):
            op = self.next().value
            right = self.power()
            value = f"({value} {op} {right})"
        return value

    def power(self) -> str:
        base = self.factor()
        if self.at_op("^", "**"):
            self.next()
            exponent = self.nested(self.power)
            return f"({base} ** {exponent})"
        return base

    def factor(self) -> str:
        return self.filters_after(self.primary())

    def primary(self) -> str:
        tok = self.peek()
        if tok.kind == "op":
            if tok.value == "(":
                self.next()
                inner = self.expression()
                self.expect_op(")", "')' to close '('")
                return self.postfix(f"({inner})")
            if tok.value == "[":
                return self.postfix(self.list_literal())
            if tok.value == "{":
                return self.postfix(self.dict_literal())
            self.fail("expected a value")
        if tok.kind == "str":
            self.next()
            return self.postfix(repr(tok.value))
        if tok.kind == "int":
            return self.number()
        if tok.kind == "name":
            if tok.value in _KEYWORDS:
                self.fail("expected a value")
            self.next()
            if tok.value in _CONSTANTS:
                return _CONSTANTS[tok.value]
            self.check_name(tok)
            return self.postfix(jinja_name(tok.value))
        self.fail("expected a value")
        raise AssertionError  # unreachable

    def number(self) -> str:
        tok = self.next()
        if self.at_op(".") and self.peek(1).kind == "int":
            self.next()
            fraction = self.next()
            return repr(float(f"{tok.value}.{fraction.value}"))
        return str(int(tok.value))

    def check_name(self, tok: Token) -> None:
        if tok.value.startswith(RESERVED_PREFIX):
            raise SourceError(f"names starting with {RESERVED_PREFIX!r} are reserved", tok.pos)

    def postfix(self, value: str) -> str:
        while True:
            if self.at_op("."):
                self.next()
                part = self.peek()
                if part.kind == "name":
                    self.next()
                    value = f"{value}.{part.value}"
                elif part.kind == "int":
                    self.next()
                    value = f"{value}[{int(part.value)}]"
                else:
                    self.fail("expected a name or an index after '.'")
            elif self.at_op("("):
                value = f"{value}{self.call_args()}"
            elif self.at_op("["):
                self.next()
                index = self.expression()
                self.expect_op("]", "']'")
                value = f"{value}[{index}]"
            else:
                return value

    def call_args(self) -> str:
        self.expect_op("(")
        self.arg_count = 0
        args: list[str] = []
        while not self.at_op(")"):
            if args:
                self.expect_op(",", "',' or ')'")
                if self.at_op(")"):
                    break
            if self.peek().kind == "name" and self.peek(1).kind == "op" and self.peek(1).value == "=":
                name = self.next()
                self.check_name(name)
                self.next()
                args.append(f"{jinja_name(name.value)}={self.expression()}")
            else:
                args.append(self.expression())
        self.next()
        self.arg_count = len(args)
        return "(" + ", ".join(args) + ")"

    def list_literal(self) -> str:
        self.expect_op("[")
        items: list[str] = []
        while not self.at_op("]"):
            if items:
                self.expect_op(",", "',' or ']'")
                if self.at_op("]"):
                    break
            items.append(self.expression())
        self.next()
        return "[" + ", ".join(items) + "]"

    def dict_literal(self) -> str:
        self.expect_op("{")
        items: list[str] = []
        while not self.at_op("}"):
            if items:
                self.expect_op(",", "',' or '}'")
                if self.at_op("}"):
                    break
            key = self.expression()
            self.expect_op(":", "':' after a map key")
            items.append(f"{key}: {self.expression()}")
        self.next()
        return "{ " + ", ".join(items) + " }"

    # -- filters ---------------------------------------------------------------------------------
    def filter_argument(self) -> tuple[str, Token, object]:
        """pongo2's ``|filter:argument``: one literal or one variable path (with calls)."""
        tok = self.peek()
        sign = ""
        if tok.kind == "op" and tok.value in ("-", "+") and self.peek(1).kind == "int":
            sign = self.next().value
            tok = self.peek()
        if tok.kind == "str":
            self.next()
            return repr(tok.value), tok, tok.value
        if tok.kind == "int":
            text = self.number()
            literal = float(text) if "." in text else int(text)
            if sign == "-":
                return f"(-{text})", tok, -literal
            return text, tok, literal
        if tok.kind == "name" and tok.value not in _KEYWORDS:
            return self.primary(), tok, None
        if tok.kind == "op" and tok.value in ("(", "["):
            return self.primary(), tok, None
        self.fail("expected a literal or a variable as the filter argument")
        raise AssertionError  # unreachable

    def filter_chain(self, first: bool = True) -> list[str]:
        """Filters after the first '|' (or, with first=True, starting at a filter name)."""
        parts: list[str] = []
        while True:
            name = self.expect_name("a filter name")
            if name.value not in self.filters:
                raise SourceError(f"unknown filter {name.value!r}", name.pos)
            literal: object = None
            literal_tok: Token | None = None
            if self.at_op(":"):
                self.next()
                text, literal_tok, literal = self.filter_argument()
                call = f"{name.value}({text})"
            elif self.at_op("("):
                literal_tok = self.peek(1)
                if literal_tok.kind == "str" and self.peek(2).kind == "op" and self.peek(2).value in (")", ","):
                    literal = literal_tok.value
                call = f"{name.value}{self.call_args()}"
                if self.arg_count > 1:
                    raise SourceError(f"filter {name.value!r} takes at most one argument", name.pos)
            else:
                call = name.value
            if self.on_literal is not None and isinstance(literal, str) and literal_tok is not None:
                self.on_literal(name.value, literal, literal_tok.pos)
            parts.append(call)
            if not self.at_op("|"):
                return parts
            self.next()

    def filters_after(self, value: str) -> str:
        if not self.at_op("|"):
            return value
        self.next()
        chain = self.filter_chain()
        return "(" + value + "|" + "|".join(chain) + ")"
