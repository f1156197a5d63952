"""The docs site's reference pages, written from the code at build time so that they cannot drift.

A page under docs/ holds a marker, `<!-- reference: NAME -->`, where the generated Markdown goes
(scripts/mkdocs_hooks.py puts it there when MkDocs renders the page); `<!-- include: PATH -->`
puts a README of the repository there instead (the packs' and the CLI's), its links made to work
on the site. Each generator reads the source that the running code reads:

- `openapi`: the served OpenAPI document (functions/info/openapi.json), with the function that
  serves each route from template.yaml;
- `cli`: the `flyte` command's own Click tree, the one `--help` prints;
- `parameters` and `environment`: template.yaml's parameters and the functions' variables;
- `bounds`: the constants of flyte_core/domain/bounds.py, with the comment that says why;
- `template-examples`: an example of every filter and function, rendered by the template engine.
"""

from __future__ import annotations

import ast
import io
import json
import posixpath
import re
import tokenize
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from flyte_local.cfn import load_template

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"<!-- (reference|include): ([\w./:-]+) -->(?:.*?<!-- /\1 -->)?", re.DOTALL)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _cell(text: Any) -> str:
    """Text fit for one cell of a Markdown table."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(text: Any) -> str:
    return f"`{text}`" if "`" not in str(text) else f"`` {text} ``"


# --- the API -----------------------------------------------------------------------------------


def routes(template: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(method, path) -> the function that serves it, from the HttpApi events of template.yaml."""
    served: dict[tuple[str, str], str] = {}
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                properties = event["Properties"]
                served[(str(properties["Method"]).lower(), str(properties["Path"]))] = name
    return served


def _schema_text(schema: dict[str, Any]) -> str:
    parts = [str(schema.get("type", "")) or ("one of" if "oneOf" in schema or "anyOf" in schema else "")]
    for key, word in (("minimum", ">="), ("maximum", "<="), ("minLength", "length >="), ("maxLength", "length <=")):
        if key in schema:
            parts.append(f"{word} {schema[key]}")
    if "enum" in schema:
        parts.append("one of " + ", ".join(_code(value) for value in schema["enum"]))
    if "default" in schema:
        parts.append(f"default {_code(json.dumps(schema['default']))}")
    return ", ".join(part for part in parts if part)


def openapi_markdown(document: dict[str, Any], served: dict[tuple[str, str], str]) -> str:
    """Every operation of the document: what it does, its parameters, body and answers."""
    out = [f"Generated from the OpenAPI {document['openapi']} document the API serves at `/v1/swagger`.", ""]
    out += ["| Method | Path | Function | Operation |", "|---|---|---|---|"]
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    for path, method, operation in operations:
        function = served.get((method, path), "")
        anchor = operation.get("operationId", f"{method}-{path}")
        out.append(
            f"| {method.upper()} | [{_code(path)}](#{anchor.lower()}) | {_cell(function)} | {_cell(operation.get('summary', ''))} |"
        )
    documented = {(method, path) for path, method, _ in operations}
    others = sorted((path, method, function) for (method, path), function in served.items() if (method, path) not in documented)
    if others:
        out += ["", "Routes of template.yaml that the document leaves out (not part of the Flyte API):", ""]
        out += ["| Method | Path | Function |", "|---|---|---|"]
        out += [f"| {method.upper()} | {_code(path)} | {function} |" for path, method, function in others]
    for path, method, operation in operations:
        operation_id = operation.get("operationId", f"{method}-{path}")
        out += ["", f"### {method.upper()} `{path}` {{#{operation_id.lower()}}}", ""]
        if operation.get("summary"):
            out += [f"**{operation['summary'].strip()}**", ""]
        if operation.get("description"):
            out += [operation["description"].strip(), ""]
        out += [
            f"Operation `{operation_id}`"
            + (f", served by `{served[(method, path)]}`" if (method, path) in served else "")
            + (f"; tags: {', '.join(operation['tags'])}" if operation.get("tags") else "")
            + ".",
            "",
        ]
        parameters = operation.get("parameters", [])
        if parameters:
            out += ["| Parameter | In | Required | Schema | Meaning |", "|---|---|---|---|---|"]
            for parameter in parameters:
                out.append(
                    f"| `{parameter['name']}` | {parameter['in']} | {'yes' if parameter.get('required') else 'no'} | "
                    f"{_cell(_schema_text(parameter.get('schema', {})))} | {_cell(parameter.get('description', ''))} |"
                )
            out.append("")
        body = operation.get("requestBody")
        if body:
            types = ", ".join(_code(kind) for kind in body.get("content", {}))
            out += [f"Request body ({'required' if body.get('required') else 'optional'}): {types}.", ""]
        out += ["| Status | Meaning | Content types |", "|---|---|---|"]
        for status, response in operation.get("responses", {}).items():
            types = ", ".join(_code(kind) for kind in response.get("content", {}))
            out.append(f"| {status} | {_cell(response.get('description', ''))} | {types} |")
    return "\n".join(out) + "\n"


# --- the command line --------------------------------------------------------------------------


def _commands(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    yield path, command
    for name, child in sorted(getattr(command, "commands", {}).items()):
        if not getattr(child, "hidden", False):
            yield from _commands(child, [*path, name])


def cli_markdown() -> str:
    """Every `flyte` command with its usage, help and options, from the Click tree `--help` prints."""
    import typer.main  # Typer carries its own Click: the tree is read by its attributes, not its classes

    from flyte_cli.main import app

    root = typer.main.get_command(app)
    out = ["Generated from the `flyte` command's own definitions (what `flyte ... --help` prints).", ""]
    for path, command in _commands(root, ["flyte"]):
        context = command.context_class(command, info_name=" ".join(path))
        pieces = " ".join(command.collect_usage_pieces(context))
        out += [f"### `{' '.join(path)}`", "", f"```text\n{' '.join(path)} {pieces}\n```", ""]
        help_text = (command.help or "").split("\f")[0].strip()
        if help_text:
            out += [help_text, ""]
        rows = []
        for parameter in command.params:
            if parameter.param_type_name == "option":
                if parameter.hidden:
                    continue
                names = ", ".join(_code(name) for name in [*parameter.opts, *parameter.secondary_opts])
                default = parameter.default
                shown = (
                    ""
                    if default is None or parameter.show_default is False or (parameter.is_flag and not default)
                    else _code(default)
                )
                envvar = f" (env {_code(parameter.envvar)})" if isinstance(parameter.envvar, str) else ""
                rows.append(f"| {names} | {_cell((parameter.help or '') + envvar)} | {shown} |")
            elif parameter.param_type_name == "argument":
                rows.append(
                    f"| {_code(parameter.human_readable_name)} | {_cell(getattr(parameter, 'help', '') or 'argument')} | |"
                )
        if rows:
            out += ["| Argument or option | Meaning | Default |", "|---|---|---|", *rows, ""]
    return "\n".join(out) + "\n"


# --- template.yaml -----------------------------------------------------------------------------


def _value_text(value: Any, parameters: Any = ()) -> str:
    """A template value as a reader would say it: a parameter's name, a resource's, a literal."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "Ref":
            if str(inner).startswith("AWS::"):
                return f"`{inner}`"
            return f"parameter `{inner}`" if inner in parameters else f"the stack's `{inner}`"
        if key == "Fn::Sub":
            return _code(inner if isinstance(inner, str) else inner[0])
        if key == "Fn::If":
            return f"if {inner[0]}: {_value_text(inner[1], parameters)}, else {_value_text(inner[2], parameters)}"
        if key == "Fn::GetAtt":
            return f"`{'.'.join(inner)}`"
        return _code(json.dumps(value))
    if value == "" or value is None:
        return "empty"
    return _code(value)


def parameters_markdown(template: dict[str, Any]) -> str:
    out = ["Generated from template.yaml's `Parameters`.", ""]
    out += ["| Parameter | Type | Default | Allowed | Meaning |", "|---|---|---|---|---|"]
    for name, spec in template["Parameters"].items():
        allowed = []
        if "AllowedValues" in spec:
            allowed.append(", ".join(_code(value) for value in spec["AllowedValues"]))
        if "MinValue" in spec or "MaxValue" in spec:
            allowed.append(f"{spec.get('MinValue', '')}..{spec.get('MaxValue', '')}")
        if "AllowedPattern" in spec:
            allowed.append(f"pattern {_code(spec['AllowedPattern'])}")
        default = _code(spec["Default"]) if "Default" in spec and spec["Default"] != "" else "empty" if "Default" in spec else ""
        out.append(
            f"| `{name}` | {spec.get('Type', '')} | {default} | {_cell('; '.join(allowed))} | {_cell(spec.get('Description', ''))} |"
        )
    return "\n".join(out) + "\n"


def environment_markdown(template: dict[str, Any]) -> str:
    """Each variable the functions get, where its value comes from, and which functions get it."""
    common = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    where: dict[str, tuple[Any, list[str]]] = {name: (value, ["every function"]) for name, value in common.items()}
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {}) or {}
        for variable, value in variables.items():
            if variable in common:
                continue
            where.setdefault(variable, (value, []))[1].append(name)
    out = ["Generated from template.yaml: the `Globals` and each function's `Environment`.", ""]
    out += ["| Variable | Value | Functions |", "|---|---|---|"]
    for variable in sorted(where):
        value, functions = where[variable]
        out.append(f"| `{variable}` | {_cell(_value_text(value, template['Parameters']))} | {_cell(', '.join(functions))} |")
    return "\n".join(out) + "\n"


# --- bounds ------------------------------------------------------------------------------------


def bounds_markdown(source: str) -> str:
    """The module-level constants of bounds.py with their values and their comments."""
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("# ").strip()
    namespace: dict[str, Any] = {}
    out = ["Generated from `layers/flyte_core/flyte_core/domain/bounds.py`.", ""]
    out += ["| Constant | Value | What it bounds, and why |", "|---|---|---|"]
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name.startswith("_") or not name.isupper():
                continue
            value = eval(compile(ast.Expression(node.value), "bounds.py", "eval"), {"max": max}, namespace)
            namespace[name] = value
            shown = f"{value:,}" if isinstance(value, int) else repr(value)
            out.append(f"| `{name}` | {shown} | {_cell(comments.get(node.lineno, ''))} |")
    return "\n".join(out) + "\n"


# --- included READMEs --------------------------------------------------------------------------

# READMEs of the repository that the site includes, and the page each becomes.
INCLUDED = {
    "packs/README.md": "packs/sdk.md",
    "packs/shell/README.md": "packs/shell.md",
    "packs/slack/README.md": "packs/slack.md",
    "cli/README.md": "reference/cli-guide.md",
    "README.md:dependencies": "development/dependencies.md",
}


def include_markdown(path: str, page: str, anchors: dict[str, str]) -> str:
    """A README of the repository as a page of the site: its first heading dropped (the page has
    its own), links to other included READMEs and to README.md's sections (moved into the site:
    `anchors` says where) pointed at their pages, links to other files of the repository shown as
    their path."""
    path, _, section = path.partition(":")
    text = (ROOT / path).read_text(encoding="utf-8")
    if section:  # the part between snippet markers: <!-- --8<-- [start:NAME] --> ... [end:NAME]
        text = text.split(f"[start:{section}] -->", 1)[1].split(f"<!-- --8<-- [end:{section}]", 1)[0]
    text = re.sub(r"\A# [^\n]*\n", "", text)

    def link(match: re.Match[str]) -> str:
        label, target = match.group(1), match.group(2)
        if re.match(r"^[a-z]+:|^#", target):
            return match.group(0)
        file, _, fragment = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), file))
        if resolved == "README.md" and fragment in anchors:
            goal, fragment = anchors[fragment], fragment
        elif resolved in INCLUDED:
            goal = INCLUDED[resolved]
        elif resolved.startswith("docs/"):
            goal = resolved.removeprefix("docs/")
        else:
            return label if label.strip("`") == resolved else f"{label} (`{resolved}`)"
        relative = posixpath.relpath(goal, posixpath.dirname(page) or ".")
        return f"[{label}]({relative}{'#' + fragment if fragment else ''})"

    return re.sub(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)", link, text)


# --- the hook's entry --------------------------------------------------------------------------


def _slug(heading: str) -> str:
    """The anchor MkDocs (and GitHub, for these headings) gives a heading."""
    text = re.sub(r"\{#[^}]*\}", "", heading).replace("`", "")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def heading_anchors(docs: Path) -> dict[str, str]:
    """The anchor of every heading of the site's pages -> its page, so that a README's link to a
    section that moved into the site finds it."""
    found: dict[str, str] = {}
    for page in sorted(docs.rglob("*.md")):
        fenced = False
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("```"):
                fenced = not fenced
            elif not fenced and line.startswith("#"):
                found.setdefault(_slug(line.lstrip("#")), page.relative_to(docs).as_posix())
    return found


def generators() -> dict[str, Callable[[], str]]:
    template = load_template(ROOT / "template.yaml")
    return {
        "openapi": lambda: openapi_markdown(
            json.loads((ROOT / "functions/info/openapi.json").read_text(encoding="utf-8")), routes(template)
        ),
        "cli": cli_markdown,
        "parameters": lambda: parameters_markdown(template),
        "environment": lambda: environment_markdown(template),
        "template-examples": lambda: template_examples_markdown(
            yaml.safe_load((ROOT / "docs/writing-flows/template-examples.yaml").read_text(encoding="utf-8"))
        ),
        "bounds": lambda: bounds_markdown((ROOT / "layers/flyte_core/flyte_core/domain/bounds.py").read_text(encoding="utf-8")),
    }


def expand(markdown: str, page: str, anchors: dict[str, str]) -> str:
    """The page's Markdown with each marker replaced by what it names; an unknown name fails the build."""
    if not MARKER.search(markdown):
        return markdown
    made = generators()

    def replace(match: re.Match[str]) -> str:
        kind, name = match.group(1), match.group(2)
        if kind == "include":
            if name not in INCLUDED:
                raise ValueError(f"{page}: no README {name!r} to include (known: {', '.join(INCLUDED)})")
            return include_markdown(name, page, anchors)
        if name not in made:
            raise ValueError(f"{page}: no reference {name!r} (known: {', '.join(made)})")
        return made[name]()

    return MARKER.sub(replace, markdown)


# --- template examples -------------------------------------------------------------------------


def template_examples_markdown(examples: dict[str, Any]) -> str:
    """Each example of docs/writing-flows/template-examples.yaml with what the engine renders for it.

    An example that fails to render fails the build, with the engine's message."""
    from flyte_core.domain import secrets
    from flyte_core.domain.events import new_event
    from flyte_core.domain.templating import engine
    from flyte_core.domain.times import parse_time

    spec = examples["event"]
    event = new_event(
        spec["name"],
        spec["pack"]["name"],
        spec["pack"]["name"],
        spec["pack"].get("labels", {}),
        spec["payload"],
        created_at=parse_time(spec["createdAt"]),
    )
    variables = {"Event": event.template_value(), "Context": {}}
    items = {key: (item["contentType"], item["value"].encode()) for key, item in examples.get("datastore", {}).items()}

    def datastore(key: str) -> tuple[str, bytes]:
        return items[key]

    out = []
    for section, title in (("filters", "Filter"), ("functions", "Function")):
        out += ["", f"| {title} | Template | Renders |", "|---|---|---|"]
        for name, source in sorted(examples[section].items(), key=lambda item: item[0].lower()):
            try:
                # secret() renders a marker that the engine stores as its mask: show what is stored
                rendered, _ = secrets.extract(engine.render(source, variables, datastore))
            except Exception as error:
                raise ValueError(f"template example {name!r} ({source!r}) fails: {error}") from None
            out.append(f"| `{name}` | {_code(source)} | {_code(rendered.replace(chr(10), '⏎'))} |")
    payload = json.dumps(spec["payload"], ensure_ascii=False, indent=1)
    return "\n".join(["The event every example reads (`Event.Payload`):", "", f"```json\n{payload}\n```", *out]) + "\n"
