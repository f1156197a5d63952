"""Resource bounds: flows are user input, so one template must not exhaust a Lambda.

Every top-level ``render`` gets a budget shared by everything it does, including nested
``template()`` calls: characters emitted, loop iterations (and macro calls), characters produced by
filters and functions, and nesting depth. Exceeding any of them is a template error.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from .errors import TemplateError

MAX_SOURCE_CHARS = 100_000  # one template's source
MAX_OUTPUT_CHARS = 1_000_000  # everything one render emits (literal text and values)
MAX_VALUE_CHARS = 1_000_000  # one string (or list/map size) built by a filter or function
MAX_WORK_CHARS = 20_000_000  # sum of all values built by filters/functions in one render
MAX_ITERATIONS = 100_000  # loop iterations plus macro calls in one render
MAX_TEMPLATE_DEPTH = 8  # nested template() calls


class RenderState:
    """Budgets and per-render data of the render running in this thread/context."""

    __slots__ = ("datastore", "datastore_cache", "depth", "iterations", "output", "work")

    def __init__(self) -> None:
        self.depth = 0
        self.output = MAX_OUTPUT_CHARS
        self.iterations = MAX_ITERATIONS
        self.work = MAX_WORK_CHARS
        self.datastore: Callable[[str], tuple[str, bytes]] | None = None
        self.datastore_cache: dict[str, Any] | None = None

    def reset(self, datastore: Callable[[str], tuple[str, bytes]] | None) -> None:
        self.output = MAX_OUTPUT_CHARS
        self.iterations = MAX_ITERATIONS
        self.work = MAX_WORK_CHARS
        self.datastore = datastore
        self.datastore_cache = None


_state: ContextVar[RenderState] = ContextVar("flyte_template_state")


def begin(datastore: Callable[[str], tuple[str, bytes]] | None) -> tuple[RenderState, Token | None]:
    """Start a top-level render: fresh budgets. A render started from inside another one (not
    ``template()``, which shares its caller's budget) gets a state of its own."""
    state = _state.get(None)
    token = None
    if state is None:
        state = RenderState()
        _state.set(state)  # kept for the next renders of this thread/context
    elif state.depth:
        state = RenderState()
        token = _state.set(state)
    state.reset(datastore)
    state.depth = 1
    return state, token


def end(state: RenderState, token: Token | None) -> None:
    state.depth = 0
    state.datastore = None
    state.datastore_cache = None
    if token is not None:
        _state.reset(token)


def peek() -> RenderState:
    """The running render's state, or a throw-away one outside any render."""
    state = _state.get(None)
    if state is not None and state.depth:
        return state
    return RenderState()


def charge_output(state: RenderState, size: int) -> None:
    state.output -= size
    if state.output < 0:
        raise TemplateError(f"output too large (limit {MAX_OUTPUT_CHARS} characters)")


def charge_iterations(count: int) -> None:
    state = peek()
    state.iterations -= count
    if state.iterations < 0:
        raise TemplateError(f"too many loop iterations or macro calls (limit {MAX_ITERATIONS})")


def charge_work(size: int) -> None:
    if size > MAX_VALUE_CHARS:
        raise TemplateError(f"value too large (limit {MAX_VALUE_CHARS} characters or items)")
    state = peek()
    state.work -= size
    if state.work < 0:
        raise TemplateError(f"template does too much work (limit {MAX_WORK_CHARS} characters)")


def check_size(size: int, what: str = "value") -> None:
    """Refuse to build something larger than a value may be, before building it."""
    if size > MAX_VALUE_CHARS:
        raise TemplateError(f"{what} too large (limit {MAX_VALUE_CHARS} characters or items)")
