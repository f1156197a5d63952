"""Compile (once per source, LRU-cached), render and check templates.

``render`` is called for every templated string of a step, so a cache hit costs a dict lookup,
a budget reset and the Jinja2 render itself. Strings without ``{`` cannot contain a tag and are
returned as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from types import TracebackType
from typing import Any

from jinja2 import Template, pass_context
from jinja2.exceptions import TemplateError as JinjaError
from jinja2.exceptions import TemplateSyntaxError
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import SecurityError, safe_range

from .. import secrets
from . import cron, limits, regex
from .errors import TemplateError
from .filters import FILTERS, INTERNAL_FILTERS
from .functions import FUNCTIONS
from .lexer import SourceError, SourceMap, error_at
from .sandbox import FlyteEnvironment
from .tagsupport import HELPERS
from .translator import Translation, translate

CACHE_SIZE = 1024


def _charge_result(result: Any) -> None:
    if isinstance(result, (str, list, dict, tuple)):
        limits.charge_work(len(result))


def _wrap_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @pass_context
    def run(context: Any, value: Any, *args: Any) -> Any:
        if isinstance(value, Undefined):
            value = None
        if args:
            if len(args) > 1:
                raise TemplateError(f"filter {name!r} takes at most one argument, got {len(args)}")
            if isinstance(args[0], Undefined):
                args = (None,)
        result = function(value, *args)
        _charge_result(result)
        return result

    run.__name__ = f"filter_{name}"
    return run


def _wrap_function(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    expected = function.__code__.co_argcount

    def run(*args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != expected:
            raise TemplateError(f"{name} takes {expected} argument{'s' if expected != 1 else ''}, got {len(args) + len(kwargs)}")
        result = function(*args)
        _charge_result(result)
        return result

    run.__name__ = name
    return run


def _build_environment() -> FlyteEnvironment:
    env = FlyteEnvironment()
    for name, function in {**FILTERS, **INTERNAL_FILTERS}.items():
        env.filters[name] = _wrap_filter(name, function)
    for name, function in FUNCTIONS.items():
        env.globals[name] = _wrap_function(name, function)
    env.globals.update(HELPERS)
    env.globals["range"] = safe_range
    env.globals["pongo2"] = {"version": "dev"}
    return env


ENVIRONMENT = _build_environment()
FILTER_NAMES = frozenset(FILTERS)
TEST_NAMES = frozenset(ENVIRONMENT.tests)


GLOBALS = dict(ENVIRONMENT.globals)  # a plain dict: contexts are built from it directly


class Compiled:
    __slots__ = ("blocks", "render_func", "source_map", "template", "translation")

    def __init__(self, template: Template, translation: Translation, source_map: SourceMap) -> None:
        self.template = template
        self.render_func = template.root_render_func
        self.blocks = template.blocks
        self.translation = translation
        self.source_map = source_map


@lru_cache(maxsize=CACHE_SIZE)
def _compile(source: str) -> Compiled | TemplateError:
    if len(source) > limits.MAX_SOURCE_CHARS:
        return TemplateError(f"template too large ({len(source)} characters, limit {limits.MAX_SOURCE_CHARS})")
    source_map = SourceMap(source)
    try:
        translation = translate(source, FILTER_NAMES, TEST_NAMES)
    except SourceError as exc:
        return error_at(source_map, exc.message, exc.offset)
    except (RecursionError, MemoryError):
        return TemplateError("template nested too deeply")
    try:
        template = ENVIRONMENT.from_string(translation.source)
    except TemplateSyntaxError as exc:
        return TemplateError(exc.message or "invalid template", exc.lineno)
    except (JinjaError, TemplateError) as exc:
        return TemplateError(getattr(exc, "message", None) or str(exc))
    except (RecursionError, MemoryError, SyntaxError):
        return TemplateError("template nested too deeply")
    return Compiled(template, translation, source_map)


def compiled(source: str) -> Compiled:
    result = _compile(source)
    if isinstance(result, TemplateError):
        raise TemplateError(result.message, result.line, result.column)
    return result


def _template_line(traceback: TracebackType | None, template: Template) -> int | None:
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_globals.get("__jinja_template__") is template:
            line = template.get_corresponding_lineno(traceback.tb_lineno)
        traceback = traceback.tb_next
    return line


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TemplateError):
        return exc.message
    if isinstance(exc, SecurityError):
        return str(exc)
    if isinstance(exc, JinjaError):
        return getattr(exc, "message", None) or str(exc)
    if isinstance(exc, RecursionError):
        return "templates or macros nested too deeply"
    if isinstance(exc, MemoryError):
        return "out of memory"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _runtime_error(exc: BaseException, entry: Compiled) -> TemplateError:
    line = _template_line(exc.__traceback__, entry.template)
    column = None
    if line is not None:  # Jinja2 knows lines only; a line holding a single tag gives its column
        starts = [entry.source_map.position(offset) for offset in entry.translation.tags]
        on_line = [col for tag_line, col in starts if tag_line == line]
        if len(on_line) == 1:
            column = on_line[0]
    return TemplateError(_describe(exc), line, column)


def _run(entry: Compiled, variables: Mapping[str, Any]) -> str:
    # what Template.render does, minus its extra copies (ChainMap globals, dict(vars), set(globals))
    context = Context(ENVIRONMENT, {**GLOBALS, **variables}, None, entry.blocks)
    return "".join(entry.render_func(context))


def render(source: str, variables: Mapping[str, Any], datastore: Callable[[str], tuple[str, bytes]] | None = None) -> str:
    """Render ``source`` with ``variables`` (``Event``, ``Context``); raises TemplateError."""
    if "{" not in source:
        return source
    entry = compiled(source)
    state, token = limits.begin(datastore)
    try:
        return _run(entry, variables)
    except Exception as exc:  # any failure of a user template is a TemplateError
        raise _runtime_error(exc, entry) from None
    finally:
        limits.end(state, token)


def render_nested(source: str, variables: Mapping[str, Any]) -> str:
    """``template(tpl, ctx)``: render inside the running render, sharing its budget."""
    state = limits.peek()
    if state.depth > limits.MAX_TEMPLATE_DEPTH:
        raise TemplateError(f"template() nested more than {limits.MAX_TEMPLATE_DEPTH} levels deep")
    if "{" not in source:
        return source
    try:
        entry = compiled(source)
    except TemplateError as exc:
        raise TemplateError(f"template: {exc}") from None
    state.depth += 1
    try:
        return _run(entry, variables)
    except Exception as exc:
        inner = _runtime_error(exc, entry)
        raise TemplateError(f"template: {inner}") from None
    finally:
        state.depth -= 1


SECRET_FUNCTION = "secret"


def _tree(source: str) -> Any:
    return ENVIRONMENT.parse(compiled(source).translation.source)


def mentions_secret(source: str) -> bool:
    """Whether a (valid) template calls or names secret() at all."""
    if "{" not in source or SECRET_FUNCTION not in source:
        return False
    from jinja2 import nodes

    return any(name.name == SECRET_FUNCTION for name in _tree(source).find_all(nodes.Name))


def secret_names(source: str) -> list[str]:
    """The secrets a (valid) template references, in order. Each reference must be a whole output
    with a literal name - `{{ secret('name') }}` - so that its value lands in the input unchanged
    and no event can choose which secret is read; anything else is a TemplateError."""
    if "{" not in source or SECRET_FUNCTION not in source:
        return []
    from jinja2 import nodes

    tree = _tree(source)
    allowed: set[int] = set()
    names: list[str] = []
    for output in tree.find_all(nodes.Output):
        for child in output.nodes:
            if isinstance(child, nodes.Call) and isinstance(child.node, nodes.Name) and child.node.name == SECRET_FUNCTION:
                allowed.add(id(child.node))
                if len(child.args) != 1 or child.kwargs or child.dyn_args or child.dyn_kwargs:
                    raise TemplateError("secret() takes one argument, the secret's name", child.lineno)
                argument = child.args[0]
                if not isinstance(argument, nodes.Const) or not isinstance(argument.value, str):
                    raise TemplateError(
                        "secret() needs the secret's name as a quoted string, e.g. secret('jira-token')", child.lineno
                    )
                if not secrets.NAME.match(argument.value):
                    raise TemplateError(f"secret({argument.value!r}): a secret's name is {secrets.NAME_RULE}", child.lineno)
                names.append(argument.value)
    for name in tree.find_all(nodes.Name):
        if name.name == SECRET_FUNCTION and id(name) not in allowed:
            raise TemplateError(
                "secret() must stand alone in an output, {{ secret('name') }}: its value cannot be filtered, "
                "compared or passed to other functions",
                name.lineno,
            )
    return names


def check(source: str) -> None:
    """Compile only: syntax, unknown tags and filters, and literal regexes (RE2) and cron
    expressions given to ``match``/``extractMatch``/``matchesCron``."""
    if len(source) > limits.MAX_SOURCE_CHARS:
        raise TemplateError(f"template too large ({len(source)} characters, limit {limits.MAX_SOURCE_CHARS})")
    if "{" not in source:
        return
    entry = compiled(source)
    for pattern, offset in entry.translation.regexes:
        reason = regex.check(pattern)
        if reason is not None:
            raise error_at(entry.source_map, reason, offset)
    for expression, offset in entry.translation.crons:
        if not cron.is_valid(expression):
            try:
                cron.parse(expression)
            except cron.CronError as exc:
                raise error_at(entry.source_map, f"invalid cron expression {expression!r}: {exc}", offset) from None
