"""The layers of flyte_core import only inward: http -> services -> adapters -> domain.

Read from the source with `ast` (nothing is imported), so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "flyte_core" / "flyte_core"
AWS_SDK = ("boto3", "botocore", "pynamodb")

# layer -> modules it must not import (a name forbids the module and everything under it)
FORBIDDEN = {
    "domain": ("flyte_core.services", "flyte_core.adapters", "flyte_core.http", *AWS_SDK, "aws_lambda_powertools.event_handler"),
    "services": ("flyte_core.http", *AWS_SDK),
    "adapters": ("flyte_core.services", "flyte_core.http"),
}


def imported_modules(source: str, module: str) -> list[tuple[int, str]]:
    """(line, module) of every import in `source`, relative imports resolved against `module`.

    `from a import b` yields both `a` and `a.b`, since b may be a submodule.
    """
    package = module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def violations(layer: str, path: Path, package: Path = PACKAGE) -> list[str]:
    relative = path.relative_to(package.parent).with_suffix("")
    module = ".".join(relative.parts)
    if relative.name == "__init__":
        module += ".__init__"  # so that `from . import x` resolves to the package itself
    forbidden = FORBIDDEN[layer]
    return sorted(
        {
            f"{path.relative_to(package.parent)}:{line} imports {name} ({layer} must not import {banned})"
            for line, name in imported_modules(path.read_text(), module)
            for banned in forbidden
            if name == banned or name.startswith(banned + ".")
        }
    )


def layer_files(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_inner_layers_import_nothing_outward(layer):
    files = layer_files(layer)
    assert files, f"no modules found in flyte_core/{layer}"
    found = [problem for path in files for problem in violations(layer, path)]
    assert not found, "outward imports:\n" + "\n".join(found)


def test_the_check_names_an_outward_import(tmp_path):
    """The rule test above would pass on an empty list: show that it catches each kind of import."""
    fake = tmp_path / "flyte_core"
    (fake / "domain").mkdir(parents=True)
    (fake / "domain" / "rules.py").write_text(
        "import boto3\nfrom ..http import web\ndef later():\n    from flyte_core.adapters import actions_table\n"
    )
    found = violations("domain", fake / "domain" / "rules.py", package=fake)
    assert found == [
        "flyte_core/domain/rules.py:1 imports boto3 (domain must not import boto3)",
        "flyte_core/domain/rules.py:2 imports flyte_core.http (domain must not import flyte_core.http)",
        "flyte_core/domain/rules.py:2 imports flyte_core.http.web (domain must not import flyte_core.http)",
        "flyte_core/domain/rules.py:4 imports flyte_core.adapters (domain must not import flyte_core.adapters)",
        "flyte_core/domain/rules.py:4 imports flyte_core.adapters.actions_table (domain must not import flyte_core.adapters)",
    ]


HANDLERS = sorted((PACKAGE.parents[2] / "functions").glob("*/app.py"))


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda path: path.parent.name)
def test_handlers_reach_storage_only_through_services(handler):
    """A handler builds the adapters once (`Adapters(Settings.from_environ())`) and hands them to
    services; it never calls a table or queue module itself."""
    direct = sorted(
        {
            name
            for _, name in imported_modules(handler.read_text(), "app")
            if name.startswith("flyte_core.adapters.") and name != "flyte_core.adapters.Adapters"
        }
    )
    assert not direct, f"{handler.parent.name} imports {direct}"
