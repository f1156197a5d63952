"""Template cost of evaluating one step of the quick-start flow, against a bare Jinja2 sandbox.

    python bench/bench_templates.py [--seconds S]

For each step of the quick-start flow (docs: uk-bank-holidays) and a matching event, it times

* flyte:  what step evaluation does with ``flyte_core.domain.templating``: render every context value
          (parent context), the criteria (then Go ParseBool) and every input string, through
          ``render()`` and its compile cache;
* bare:   the same templates, written in plain Jinja2 syntax, precompiled once in a bare
          ``jinja2.sandbox.ImmutableSandboxedEnvironment`` (with a minimal ``match``/``integer``
          filter), rendered with the same variables;

and prints microseconds per step evaluation and the ratio flyte/bare (target <= 1.2).
Also prints the cold cost (first render of a new template: translate + compile).
Not a test: it prints figures and never fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "flyte_core"))

import yaml  # noqa: E402  (after the sys.path set-up above)

# The quick-start flow exactly as users write it.
QUICK_START = (Path(__file__).resolve().parent.parent / "examples" / "uk-bank-holidays.flow.yaml").read_text(encoding="utf-8")

NOW = datetime(2024, 4, 1, 12, 0, tzinfo=UTC)
SLACK_EVENT = {
    "Name": "ReceivedMessage",
    "Pack": {"Id": "Slack", "Name": "Slack", "Labels": {}},
    "Payload": {
        "channelId": "C0123",
        "user": {"id": "U42", "name": "jo"},
        "message": "flyte uk-bank-holidays",
        "timestamp": "1650000000.000100",
        "threadTimestamp": "1650000000.000100",
        "replyCount": 0,
    },
    "CreatedAt": NOW,
    "ReceivedAt": NOW,
}
SHELL_EVENT = {
    "Name": "Output",
    "Pack": {"Id": "Shell", "Name": "Shell", "Labels": {}},
    "Payload": {
        "stdout": "2024-05-06 - Early May bank holiday\n2024-05-27 - Spring bank holiday\n",
        "stderr": "",
        "exit_code": 0,
    },
    "CreatedAt": NOW,
    "ReceivedAt": NOW,
}
PARENT_CONTEXT = {"Tts": "1650000000.000100", "ChannelID": "C0123", "Requestor": "U42"}

# The same templates in plain Jinja2 syntax, for the bare sandbox.
BARE_SYNTAX = {
    "{{ Event.Payload.message|match:'^flyte(\\\\s+)uk-bank-holidays$' }}": "{{ Event.Payload.message|match('^flyte(\\\\s+)uk-bank-holidays$') }}",
    "{{ Event.Payload.exit_code|integer == 0 }}": "{{ (Event.Payload.exit_code|integer) == 0 }}",
}


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def templated(step: dict) -> list[str]:
    """The strings of a step that are templates (api-contract §5.4)."""
    found = list(step.get("context", {}).values()) + list(step["event"].get("packLabels", {}).values())
    found += [step["criteria"]] if step.get("criteria") else []
    found += list(step["command"].get("packLabels", {}).values())
    return found + strings(step["command"].get("input"))


def evaluate_step(
    step: dict, event: dict, parent: dict, render: Callable[[str, dict], str], parse_bool: Callable[[str], bool]
) -> Any:
    """api-contract §5.4 in miniature: context, pack labels, criteria, command labels, input."""
    variables = {"Event": event, "Context": parent}
    context = dict(parent)
    for key, source in step.get("context", {}).items():
        context[key] = render(source, variables)
    variables = {"Event": event, "Context": context}
    for source in step["event"].get("packLabels", {}).values():
        render(source, variables)
    if step.get("criteria") and not parse_bool(render(step["criteria"], variables)):
        return None
    labels = {k: render(v, variables) for k, v in step["command"].get("packLabels", {}).items()}

    def resolve(value: Any) -> Any:
        if isinstance(value, str):
            return render(value, variables)
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    return labels, resolve(step["command"].get("input"))


def flyte_renderer() -> tuple[Callable[[str, dict], str], Callable[[str], bool]]:
    from flyte_core.domain.templating import parse_bool, render

    return (lambda source, variables: render(source, variables)), parse_bool


def bare_renderer(sources: list[str], lean: bool = False) -> tuple[Callable[[str, dict], str], Callable[[str], bool]]:
    """lean=False: ``Template.render(variables)``, the documented API. lean=True: the compiled
    root function with a plain Context, i.e. without Template.render's per-call copies of the
    globals (what flyte's engine does; a lower bound for any Jinja2-based engine)."""
    import re2
    from jinja2.runtime import Context
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
    patterns: dict[str, Any] = {}

    def match(value: Any, pattern: str) -> bool:
        compiled = patterns.get(pattern)
        if compiled is None:
            compiled = patterns[pattern] = re2.compile(pattern)
        return compiled.search(str(value)) is not None

    env.filters["match"] = match
    env.filters["integer"] = lambda value: int(float(value))
    templates = {source: env.from_string(BARE_SYNTAX.get(source, source)) for source in sources}

    def parse_bool(text: str) -> bool:
        return text in ("1", "t", "T", "TRUE", "true", "True")

    if not lean:
        return (lambda source, variables: templates[source].render(variables)), parse_bool
    env_globals = dict(env.globals)
    roots = {source: template.root_render_func for source, template in templates.items()}

    def render_lean(source: str, variables: dict) -> str:
        return "".join(roots[source](Context(env, {**env_globals, **variables}, None, {})))

    return render_lean, parse_bool


def timed(function: Callable[[], Any], seconds: float) -> float:
    """Best of several runs, microseconds per call."""
    best = float("inf")
    rounds = 0
    deadline = time.perf_counter() + seconds
    while rounds < 5 or time.perf_counter() < deadline:
        count = 2000
        start = time.perf_counter()
        for _ in range(count):
            function()
        best = min(best, (time.perf_counter() - start) / count * 1e6)
        rounds += 1
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time budget per measurement")
    args = parser.parse_args()

    flow = yaml.safe_load(QUICK_START)
    steps = flow["steps"]
    cases = [
        ("step 1 (Slack ReceivedMessage)", steps[0], SLACK_EVENT, {}),
        ("step 2 (Shell Output)", steps[1], SHELL_EVENT, PARENT_CONTEXT),
    ]
    sources = sorted({s for step in steps for s in templated(step)})

    t0 = time.perf_counter()
    flyte_render, flyte_bool = flyte_renderer()  # imports jinja2, re2 and the engine
    import_ms = (time.perf_counter() - t0) * 1e3
    bare_render, bare_bool = bare_renderer(sources)
    lean_render, lean_bool = bare_renderer(sources, lean=True)

    from flyte_core.domain.templating import engine

    engine._compile.cache_clear()
    t0 = time.perf_counter()
    for source in sources:
        engine.check(source)
    cold_us = (time.perf_counter() - t0) / len(sources) * 1e6

    print(f"python {sys.version.split()[0]}; templates in the flow: {len(sources)}")
    print(
        f"engine import (jinja2 + re2 + engine): {import_ms:.1f} ms; "
        f"cold compile (translate + Jinja2 compile): {cold_us:.0f} us per template"
    )
    print()
    print(f"{'step evaluation':32} {'bare render()':>14} {'bare lean':>11} {'flyte':>10} {'flyte/bare':>11} {'flyte/lean':>11}")
    totals = [0.0, 0.0, 0.0]
    for title, step, event, parent in cases:
        expected = evaluate_step(step, event, parent, bare_render, bare_bool)
        assert evaluate_step(step, event, parent, flyte_render, flyte_bool) == expected, title
        assert evaluate_step(step, event, parent, lean_render, lean_bool) == expected, title
        figures = [
            timed(lambda r=r, b=b, s=step, e=event, p=parent: evaluate_step(s, e, p, r, b), args.seconds)
            for r, b in ((bare_render, bare_bool), (lean_render, lean_bool), (flyte_render, flyte_bool))
        ]
        totals = [t + f for t, f in zip(totals, figures, strict=True)]
        bare, lean, flyte = figures
        print(f"{title:32} {bare:12.2f}us {lean:9.2f}us {flyte:8.2f}us {flyte / bare:11.2f} {flyte / lean:11.2f}")
    bare, lean, flyte = totals
    print(f"{'both steps':32} {bare:12.2f}us {lean:9.2f}us {flyte:8.2f}us {flyte / bare:11.2f} {flyte / lean:11.2f}")

    print()
    print(f"per template (render only){'':36} {'render()':>10} {'lean':>9} {'flyte':>9}")
    for source in sources:
        event = SHELL_EVENT if "exit_code" in source or "stdout" in source else SLACK_EVENT
        variables = {"Event": event, "Context": PARENT_CONTEXT}
        figures = [
            timed(lambda r=r, s=source, v=variables: r(s, v), args.seconds / 4) for r in (bare_render, lean_render, flyte_render)
        ]
        label = source.replace("\n", "\\n")
        label = label if len(label) <= 60 else label[:57] + "..."
        print(f"  {label:60} {figures[0]:8.2f}us {figures[1]:7.2f}us {figures[2]:7.2f}us")


if __name__ == "__main__":
    main()
