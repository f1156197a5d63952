"""Where a template puts event or context text into its output unquoted: for shell scripts.

The Shell pack runs its input with ``bash -c``, so text an event carries (a chat message) that a
template writes into the script as it is becomes shell code: ``echo {{ Event.Payload.message }}``
runs whatever follows a ``;`` or sits in ``$(...)``. :func:`unquoted_interpolations` finds such
outputs on the compiled Jinja2 syntax tree (the one the engine runs), not on the source text:

* a value is *tainted* when it reads ``Event`` or ``Context`` (the context is rendered from
  events), or a name bound to such a value by ``set``, ``with``, ``for``, a macro or a
  ``{% set %}...{% endset %}`` block (names are followed through the whole template, whatever
  their scope: an over-approximation);
* a tainted output is fine when its last filter is ``shellquote``, when it can only be a number or
  a boolean (a comparison, ``and``/``or``/``not``, arithmetic other than ``+``, the filters in
  :data:`TYPED_FILTERS`), or when it is a name (or a macro call without tainted arguments) bound to
  such a value and output unchanged; anything done to a quoted value afterwards (``slice``, ``cut``,
  ``{% filter %}``, ``{% autoescape on %}``) can break the quoting and makes it tainted again;
* everything else that is tainted is reported, with the tag it came from;
* so is a quoted value whose tag sits inside a quoted string of the script's own text
  (``echo "{{ x|shellquote }}"``): there its quotes are literal characters, and inside ``"..."``
  a ``$(...)`` in the value runs. The script text between tags is read with the shell's quoting
  rules (``'...'``, ``"..."``, backslash, backticks), in source order.

``if`` conditions and other values that never reach the output are not reported.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from jinja2 import nodes

from .engine import ENVIRONMENT, compiled
from .lexer import Comment, Raw, SourceMap, Tag, scan
from .translator import NO_SPAN

TAINTED_ROOTS = frozenset(("Event", "Context"))
QUOTING_FILTER = "shellquote"
# filters whose result is a number or a boolean, whatever their input: nothing a shell reads as syntax
TYPED_FILTERS = frozenset(
    ("integer", "float", "floatformat", "length", "length_is", "wordcount", "divisibleby", "match", "matchesCron")
)
_TYPED_NODES = (
    nodes.Compare,
    nodes.Test,
    nodes.Not,
    nodes.And,
    nodes.Or,
    nodes.Sub,
    nodes.Mul,
    nodes.Div,
    nodes.FloorDiv,
    nodes.Mod,
    nodes.Pow,
    nodes.Neg,
    nodes.Pos,
)
# counters of pongo2's forloop and Jinja2's loop: numbers and booleans, never the items
_FORLOOP_COUNTERS = ("Counter", "Counter0", "Revcounter", "Revcounter0", "First", "Last")
_LOOP_COUNTERS = frozenset(
    (*_FORLOOP_COUNTERS, "index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0")
)

# Work allowed to follow names, in nodes visited: a few evaluations of each binding node, far more
# than real templates need (a chain of 4,000 sets takes one evaluation each)
WORK_PER_NODE, WORK_BASE = 20, 10_000
_BINDERS = (nodes.Assign, nodes.AssignBlock, nodes.For, nodes.With, nodes.Macro)

# What an output can bring into a script, from harmless to dangerous
CLEAN, TYPED, QUOTED, RAW = 0, 1, 2, 3


@dataclass(frozen=True)
class Interpolation:
    """A tainted value a template outputs unsafely: the tag as written and where it starts
    (``expression`` is None, and the position is the line only, if the tag is not known).
    ``quoted`` is the same tag with ``|shellquote`` applied to its whole value, for a ``{{ }}`` tag
    that lacks it; ``inside`` is ``'...'``, ``"..."`` or ```...``` for a quoted value that the
    script's own text puts inside quotes."""

    expression: str | None
    line: int | None
    column: int | None
    quoted: str | None = None
    inside: str | None = None


def unquoted_interpolations(source: str) -> list[Interpolation]:
    """The outputs of ``source`` that write event or context text into a shell script unsafely,
    in source order. ``source`` must compile (raises TemplateError otherwise)."""
    if "{" not in source:
        return []
    translation = compiled(source).translation
    tree = ENVIRONMENT.parse(translation.source)
    analysis = _Analysis()
    analysis.bind_names(tree)
    # the translator emits one {{ }} per entry of translation.outputs, in order; should a future tag
    # break that, the findings keep their line and lose their tag text
    children = [c for output in tree.find_all(nodes.Output) for c in output.nodes if not isinstance(c, nodes.TemplateData)]
    spans = dict(zip(map(id, children), translation.outputs, strict=True)) if len(children) == len(translation.outputs) else {}
    source_map = SourceMap(source)
    quoting = _shell_quoting(source)
    found = []
    for child, kind in analysis.outputs(tree.body):
        start, end = spans.get(id(child), NO_SPAN)
        inside = quoting.get(start) if kind == QUOTED else None
        if kind != RAW and inside is None:
            continue
        if start < 0:
            found.append(Interpolation(None, child.lineno, None))
            continue
        line, column = source_map.position(start)
        tag = source[start:end]
        found.append(Interpolation(tag, line, column, None if inside else _quoted(tag, child), inside))
    return found


def _quoted(tag: str, value: nodes.Expr) -> str | None:
    if not (tag.startswith("{{") and tag.endswith("}}")):
        return None  # {% firstof %} and the like: no filter applies to them
    opening = "{{-" if tag.startswith("{{-") else "{{"
    closing = "-}}" if tag.endswith("-}}") else "}}"
    inner = tag[len(opening) : len(tag) - len(closing)].strip()
    # a path, call or filter chain takes one more filter as a whole; anything else needs parentheses
    if not isinstance(value, (nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Call, nodes.Filter)):
        inner = f"({inner})"
    return f"{opening} {inner}|shellquote {closing}"


_WORD_BREAKS = " \t\n;&|()<>"


def _shell_quoting(source: str) -> dict[int, str]:
    """The offsets of the tags that the script's literal text puts inside '...', "..." or `...`,
    or in a # comment (which a newline in the value ends, quoted or not)."""
    inside: dict[int, str] = {}
    state, escaped, previous = "", False, "\n"  # state: "", "'", '"', "`" or "#"
    for segment in scan(source):
        if isinstance(segment, Tag):
            if state:
                inside[segment.start] = state
            if segment.kind == "var":
                previous = "x"  # as if a value were there: a # right after it does not start a comment
            continue
        if isinstance(segment, Comment) or (isinstance(segment, Raw) and segment.kind == "comment"):
            continue
        if isinstance(segment, Raw):  # {% verbatim %}: its content is script text
            if state:
                inside[segment.open_tag.start] = state
            text = source[segment.content_start : segment.content_end]
        else:
            text = source[segment.start : segment.end]
        for char in text:
            if escaped:
                escaped = False
            elif state == "#":
                state = "" if char == "\n" else state
            elif char == "\\" and state != "'":
                escaped = True
            elif state == "":
                if char in "'\"`" or (char == "#" and previous in _WORD_BREAKS):
                    state = char
            elif char == state:
                state = ""
            previous = char
    return {offset: "a # comment" if quote == "#" else f"{quote}...{quote}" for offset, quote in inside.items()}


class _Analysis:
    def __init__(self) -> None:
        self.tainted: set[str] = set(TAINTED_ROOTS)  # names that may hold unquoted event text
        self.quoted: set[str] = set()  # names that hold quoted (or typed) event text: safe output as is
        self.quoting_macros: set[str] = set()  # macros that output their arguments only quoted (or typed)

    # -- expressions -----------------------------------------------------------------------------
    def refers(self, node: nodes.Node) -> bool:
        """Whether evaluating ``node`` reads event text (quoted or not)."""
        if isinstance(node, nodes.Name):
            return node.ctx == "load" and (node.name in self.tainted or node.name in self.quoted)
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.attr in _LOOP_COUNTERS:
            if node.node.name in ("loop", "forloop"):
                return False
        return any(self.refers(child) for child in node.iter_child_nodes())

    def kind(self, node: nodes.Node) -> int:
        """What the value of ``node`` may carry into the output (CLEAN, TYPED, QUOTED or RAW)."""
        if not self.refers(node):
            return CLEAN
        if isinstance(node, nodes.Filter):
            if node.name == QUOTING_FILTER:
                return QUOTED
            return TYPED if node.name in TYPED_FILTERS else RAW
        if isinstance(node, _TYPED_NODES):
            return TYPED
        if isinstance(node, nodes.CondExpr):
            return max(self.kind(node.expr1), self.kind(node.expr2) if node.expr2 is not None else CLEAN)
        if isinstance(node, nodes.Concat):
            return max(self.kind(part) for part in node.nodes)
        if isinstance(node, nodes.Name):
            return RAW if node.name in self.tainted else QUOTED
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name not in self.tainted:
            arguments = [*node.args, *(k.value for k in node.kwargs), node.dyn_args, node.dyn_kwargs]
            if node.node.name in self.quoting_macros or not any(self.refers(a) for a in arguments if a is not None):
                return QUOTED  # a macro whose output is quoted, called without event text or quoting its arguments
        return RAW

    # -- statements ------------------------------------------------------------------------------
    def outputs(self, body: Iterable[nodes.Node]) -> Iterator[tuple[nodes.Expr, int]]:
        """Every value ``body`` writes to its output, with its kind after the blocks around it.
        The bodies of macros and ``{% set %}`` blocks are not the output: their names are."""
        for node in body:
            if isinstance(node, nodes.Output):
                for child in node.nodes:
                    if not isinstance(child, nodes.TemplateData):
                        yield child, self.kind(child)
            elif isinstance(node, (nodes.Macro, nodes.AssignBlock)):
                continue
            elif isinstance(node, nodes.FilterBlock):
                yield from self._filtered(node)
            elif isinstance(node, nodes.ScopedEvalContextModifier):
                escaping = any(
                    o.key == "autoescape" and not (isinstance(o.value, nodes.Const) and not o.value.value) for o in node.options
                )
                for child, kind in self.outputs(node.body):
                    yield child, RAW if escaping and kind == QUOTED else kind  # HTML escaping turns ' into &#39;
            else:
                for field in ("body", "elif_", "else_"):  # if, for, with, scopes
                    yield from self.outputs(getattr(node, field, None) or [])

    def _filtered(self, block: nodes.FilterBlock) -> Iterator[tuple[nodes.Expr, int]]:
        outermost = block.filter.name if isinstance(block.filter, nodes.Filter) else ""
        filter_refers = self.refers(block.filter) if block.filter is not None else False
        for child, kind in self.outputs(block.body):
            if outermost == QUOTING_FILTER:
                yield child, QUOTED if kind or filter_refers else CLEAN
            elif outermost in TYPED_FILTERS:
                yield child, TYPED if kind or filter_refers else CLEAN
            else:  # any other filter may undo a quoting
                yield child, RAW if kind or filter_refers else CLEAN

    def _bind(self, target: nodes.Node, kind: int) -> set[str]:
        """Record what the names of ``target`` now hold; returns the names that changed."""
        changed = set()
        names = [target] if isinstance(target, nodes.Name) else list(target.find_all(nodes.Name))
        for name in names:
            if name.name == "forloop" or name.name in self.tainted or kind == CLEAN:  # forloop: counters only
                continue
            if kind == RAW:
                self.tainted.add(name.name)
                changed.add(name.name)
            elif name.name not in self.quoted:
                self.quoted.add(name.name)
                changed.add(name.name)
        return changed

    def _captured(self, body: list[nodes.Node]) -> int:
        return max((kind for _, kind in self.outputs(body)), default=CLEAN)

    def _quotes_its_arguments(self, macro: nodes.Macro) -> bool:
        params = {param.name for param in macro.args} - self.tainted
        self.tainted |= params
        try:
            return self._captured(macro.body) != RAW
        finally:
            self.tainted -= params

    def bind_names(self, tree: nodes.Template) -> None:
        """Follow event text through assignments until nothing changes: a work list of the binding
        nodes, each evaluated again when a name it reads changes. Names only ever join ``tainted``
        or ``quoted``, and macros only ever leave ``quoting_macros`` (all start there: a macro that
        outputs its arguments unquoted is found on its first evaluation), so it ends; its work is
        bounded too, and when that bound is reached every bound name counts as tainted."""
        binders = list(tree.find_all(_BINDERS))
        self.quoting_macros = {node.name for node in binders if isinstance(node, nodes.Macro)}
        readers: dict[str, list[int]] = {}
        sizes = []
        for index, node in enumerate(binders):
            inner = list(node.find_all(nodes.Node))
            sizes.append(len(inner) + 1)
            for name in {n.name for n in inner if isinstance(n, nodes.Name) and n.ctx == "load"}:
                readers.setdefault(name, []).append(index)
        budget = WORK_PER_NODE * sum(sizes) + WORK_BASE
        pending = deque(range(len(binders)))
        queued = set(pending)
        while pending:
            index = pending.popleft()
            queued.discard(index)
            budget -= sizes[index]
            if budget < 0:
                self._give_up(binders)
                return
            for name in self._evaluate(binders[index]):
                for reader in readers.get(name, ()):
                    if reader not in queued:
                        queued.add(reader)
                        pending.append(reader)

    def _evaluate(self, node: nodes.Node) -> set[str]:
        if isinstance(node, nodes.Assign):
            return self._bind(node.target, self.kind(node.node))
        if isinstance(node, nodes.AssignBlock):
            kind = self._captured(node.body)
            if node.filter is not None and (kind or self.refers(node.filter)):
                kind = RAW
            return self._bind(node.target, kind)
        if isinstance(node, nodes.For):
            if not self.refers(node.iter):
                return set()
            changed = self._bind(node.target, RAW)
            return changed | self._bind(nodes.Name("loop", "store"), RAW)  # loop.previtem, loop.nextitem
        if isinstance(node, nodes.With):
            changed = set()
            for target, value in zip(node.targets, node.values, strict=False):
                changed |= self._bind(target, self.kind(value))
            return changed
        assert isinstance(node, nodes.Macro)
        changed = set()
        if node.name in self.quoting_macros and not self._quotes_its_arguments(node):
            self.quoting_macros.discard(node.name)
            changed.add(node.name)
        changed |= self._bind(nodes.Name(node.name, "store"), self._captured(node.body))
        for param, default in zip(reversed(node.args), reversed(node.defaults), strict=False):
            changed |= self._bind(param, self.kind(default))
        return changed

    def _give_up(self, binders: Sequence[nodes.Node]) -> None:
        self.quoting_macros = set()
        self.tainted.add("loop")
        for node in binders:
            if isinstance(node, nodes.Macro):
                self.tainted.add(node.name)
            for target in (getattr(node, "target", None), *getattr(node, "targets", ()), *getattr(node, "args", ())):
                if target is not None:
                    self._bind(target, RAW)
