"""The Jinja2 environment: immutable sandbox, pongo2 lookups and operators, bounded output.

* Lookups (``a.b``, ``a.0``, ``a['b']``) never reach Python attributes: a map gives its key
  (missing -> nil), a list or string its element (out of range -> nil), nil stays nil; a name on
  a string or number is an error, and so is any dunder/private name that is not a map key
  (``__class__``, ``__globals__``, ``mro`` ... are errors, never empty strings).
* Comparisons, ``and``/``or``, ``+ - * / % ^`` and ``~`` follow pongo2 (see :mod:`.values`),
  routed through the environment by a small code generator subclass.
* Every piece of output, literal text included, is charged to the render's output budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.runtime import LoopContext, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from . import limits, values
from .errors import TemplateError


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


if _version(jinja2.__version__) < (3, 1, 6):  # sandbox escapes fixed up to 3.1.6
    raise ImportError(f"flyte_core.templating needs jinja2 >= 3.1.6, found {jinja2.__version__}")

_DICT_METHODS = frozenset(("items", "keys", "values", "get"))
_LOOP_ATTRIBUTES = frozenset(
    (
        "index",
        "index0",
        "revindex",
        "revindex0",
        "first",
        "last",
        "length",
        "depth",
        "depth0",
        "previtem",
        "nextitem",
        "cycle",
        "changed",
    )
)
_COMPARE_OPS = {"eq": "eq", "ne": "ne", "lt": "lt", "gt": "gt", "lteq": "lteq", "gteq": "gteq", "in": "in", "notin": "notin"}
_MISSING = object()


_INTERNALS = frozenset(
    (
        "mro",
        "gi_frame",
        "gi_code",
        "cr_frame",
        "cr_code",
        "ag_frame",
        "ag_code",
        "f_globals",
        "f_locals",
        "f_builtins",
        "func_globals",
        "func_code",
        "im_func",
        "im_self",
        "tb_frame",
    )
)


def _unsafe_name(name: str) -> bool:
    """Names that reach Python internals: an error, never a silent nil."""
    return name[:2] == "__" or name in _INTERNALS or (name[:1] == "_" and "__" in name)


class FlyteUndefined(Undefined):
    """pongo2's nil: renders empty, equals nil and '', stays nil through lookups and calls."""

    __slots__ = ()

    def __str__(self) -> str:
        return ""

    def __eq__(self, other: object) -> bool:
        return other is None or isinstance(other, Undefined) or (isinstance(other, str) and other == "")

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return 0

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        return self

    # Jinja2 types these as always raising; Go templates chain on a missing value instead.
    def __call__(self, *args: Any, **kwargs: Any) -> FlyteUndefined:  # type: ignore[override]
        return self

    def __getitem__(self, key: Any) -> FlyteUndefined:  # type: ignore[override]
        return self

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return False


class ForLoop:
    """pongo2's ``forloop`` variable."""

    __slots__ = ("Counter0", "Parentloop", "length")

    def __init__(self, index: int, length: int, parent: Any) -> None:
        self.Counter0 = index
        self.length = length
        self.Parentloop = parent

    @property
    def Counter(self) -> int:
        return self.Counter0 + 1

    @property
    def Revcounter(self) -> int:
        return self.length - self.Counter0

    @property
    def Revcounter0(self) -> int:
        return self.length - self.Counter0 - 1

    @property
    def First(self) -> bool:
        return self.Counter0 == 0

    @property
    def Last(self) -> bool:
        return self.Counter0 == self.length - 1


_FORLOOP_ATTRIBUTES = frozenset(("Counter", "Counter0", "Revcounter", "Revcounter0", "First", "Last", "Parentloop"))


class FlyteCodeGenerator(CodeGenerator):
    def visit_Compare(self, node: nodes.Compare, frame: Any) -> None:
        if len(node.ops) != 1:  # the translator never emits chains
            raise TemplateError("chained comparisons are not supported")
        operand = node.ops[0]
        self.write(f"environment.fl_compare({_COMPARE_OPS[operand.op]!r}, ")
        self.visit(node.expr, frame)
        self.write(", ")
        self.visit(operand.expr, frame)
        self.write(")")

    def _logic(self, node: nodes.BinExpr, frame: Any, op: str) -> None:
        self.write("bool(")
        self.visit(node.left, frame)
        self.write(f" {op} ")
        self.visit(node.right, frame)
        self.write(")")

    def visit_And(self, node: nodes.BinExpr, frame: Any) -> None:
        self._logic(node, frame, "and")

    def visit_Or(self, node: nodes.BinExpr, frame: Any) -> None:
        self._logic(node, frame, "or")

    def visit_Concat(self, node: nodes.Concat, frame: Any) -> None:
        self.write("environment.fl_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def _output_child_to_const(self, node: nodes.Expr, frame: Any, finalize: Any) -> str:
        # only literal data is folded at compile time; everything else keeps pongo2 semantics
        if not isinstance(node, (nodes.TemplateData, nodes.Const)):
            raise nodes.Impossible()
        return super()._output_child_to_const(node, frame, finalize)

    def _output_const_repr(self, group: Any) -> str:
        return f"environment.fl_text({super()._output_const_repr(group)})"


def _finalize(value: Any) -> str:
    text = value if type(value) is str else values.to_str(value)
    state = limits.peek()
    state.output -= len(text)
    if state.output < 0:
        limits.charge_output(state, 0)
    return text


class FlyteEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = FlyteCodeGenerator
    intercepted_binops = frozenset(("+", "-", "*", "/", "//", "%", "**"))
    intercepted_unops = frozenset(("-", "+"))

    def __init__(self) -> None:
        super().__init__(
            autoescape=False,
            keep_trailing_newline=True,
            undefined=FlyteUndefined,
            finalize=_finalize,
            optimized=False,
            cache_size=0,
            auto_reload=False,
        )
        self.globals.clear()
        self.filters.clear()

    # -- output ----------------------------------------------------------------------------------
    @staticmethod
    def fl_text(text: str) -> str:
        state = limits.peek()
        state.output -= len(text)
        if state.output < 0:
            limits.charge_output(state, 0)
        return text

    @staticmethod
    def fl_concat(parts: tuple) -> str:
        texts = [values.to_str(part) for part in parts]
        limits.charge_work(sum(len(t) for t in texts))
        return "".join(texts)

    # -- operators -------------------------------------------------------------------------------
    @staticmethod
    def fl_compare(op: str, left: Any, right: Any) -> bool:
        return values.compare(op, left, right)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        return values.binop(operator, left, right)

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        return values.unop(operator, arg)

    # -- lookups ---------------------------------------------------------------------------------
    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            value = obj.get(attribute, _MISSING)
            if value is not _MISSING:
                return value
        return self._lookup(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(argument, str):
            if type(obj) is dict:
                value = obj.get(argument, _MISSING)
                if value is not _MISSING:
                    return value
            return self._lookup(obj, argument)
        if isinstance(argument, int) and not isinstance(argument, bool):
            return self._index(obj, argument)
        if isinstance(argument, slice):
            if isinstance(obj, (str, list, tuple)):
                return obj[argument]
            if isinstance(obj, Undefined) or obj is None:
                return self.undefined()
        raise TemplateError(f"cannot index {values.type_name(obj)} with {values.type_name(argument)}")

    def _index(self, obj: Any, index: int) -> Any:
        if isinstance(obj, (list, tuple, str)):
            if index < 0:
                raise TemplateError(f"negative index {index}")
            if index >= len(obj):
                return self.undefined()
            return obj[index]
        if obj is None or isinstance(obj, Undefined):
            return self.undefined()
        raise TemplateError(f"cannot take element {index} of {values.type_name(obj)}")

    def _lookup(self, obj: Any, name: str) -> Any:
        if isinstance(obj, Mapping):
            if name in obj:
                return obj[name]
            if name in _DICT_METHODS:
                return getattr(obj, name)
            if _unsafe_name(name):
                raise SecurityError(f"access to {name!r} is not allowed")
            return self.undefined(obj=obj, name=name)
        if obj is None or isinstance(obj, Undefined):
            if _unsafe_name(name):
                raise SecurityError(f"access to {name!r} is not allowed")
            return self.undefined(name=name)
        if isinstance(obj, ForLoop):
            if name in _FORLOOP_ATTRIBUTES:
                return getattr(obj, name)
        elif isinstance(obj, LoopContext):
            if name in _LOOP_ATTRIBUTES:
                return getattr(obj, name)
        if _unsafe_name(name):
            raise SecurityError(f"access to {name!r} is not allowed")
        raise TemplateError(f"cannot look up {name!r} on {values.type_name(obj)}")
