"""Generates the API's OpenAPI document: paths, summaries, tags and operation ids from the routes the
handlers declare (Powertools), each operation's parameters, request body and responses from
`flyte_core.http.contract`, checked against the routes of template.yaml, so the document cannot
drift from the API.

`python -m flyte_local.openapi --write` (`make openapi`) regenerates functions/info/openapi.json; a
test fails when the committed document differs from what the code says.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from . import application
from .gateway import is_default
from .runtime import FunctionRuntime

DOCUMENT = application.ROOT / "functions" / "info" / "openapi.json"
INFO = {
    "title": "Flyte API",
    "version": "1",
    "description": "Flyte binds tools into automated flows: packs send events, flows' steps turn them into "
    "actions for packs to run. Compatible with the original Flyte API (docs/api-contract.md in the repository).",
}


class RouteMismatch(Exception):
    pass


# Routes API Gateway answers itself (no handler to take a summary from), by (method, path).
SERVICE_ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/v1/packs/{packId}/actions/ready"): (
        "actionReady",
        "Wait until an action is waiting (long poll answered by API Gateway: ?wait=0..20 seconds)",
    )
}


def build_document() -> dict[str, Any]:
    app = application.load("http://127.0.0.1:0")
    handlers = [
        FunctionRuntime(app.functions[logical_id]).load_module()  # puts the layer on sys.path
        for logical_id in sorted({route.function for route in app.routes if route.function})
    ]
    from flyte_core.http import contract

    document: dict[str, Any] = {
        "openapi": None,
        "info": INFO,
        "security": contract.SECURITY,
        "paths": {},
        "components": {"schemas": dict(sorted(contract.SCHEMAS.items())), "securitySchemes": contract.SECURITY_SCHEMES},
    }
    documented: set[tuple[str, str]] = set()
    for module in handlers:
        schema = json.loads(module.app.get_openapi_json_schema(title=INFO["title"], version=INFO["version"]))
        document["openapi"] = schema["openapi"]
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if operation.get("operationId") not in contract.OPERATIONS:
                    raise RouteMismatch(
                        f"{method.upper()} {path} ({operation.get('operationId')}) has no entry in "
                        "flyte_core.http.contract.OPERATIONS"
                    )
                document["paths"].setdefault(path, {})[method] = contract.apply(operation)
                documented.add((method.upper(), path))
    for route in app.routes:  # issue 21: answered by API Gateway itself, described by the contract alone
        if route.integration is not None and route.function == "":
            operation_id, summary = SERVICE_ROUTES[(route.method, route.path)]
            operation = contract.apply({"summary": summary, "tags": ["action"], "operationId": operation_id})
            operation["responses"] = dict(contract.OPERATIONS[operation_id]["responses"])  # API Gateway's answers, not problems
            document["paths"].setdefault(route.path, {})[route.method.lower()] = operation
            documented.add((route.method, route.path))
    declared = {
        (route.method, path) for route in app.routes if not is_default(route) for path in handler_paths(route.path)
    }  # $default is not an operation; API Gateway answers a service integration's route itself (issue 21: ready)
    if declared != documented:
        raise RouteMismatch(
            f"template.yaml routes without a handler route: {sorted(declared - documented)}; "
            f"handler routes missing from template.yaml: {sorted(documented - declared)}"
        )
    document["paths"] = dict(sorted(document["paths"].items()))
    return document


def handler_paths(template_path: str) -> list[str]:
    """The handler routes a template route stands for: a greedy `{name+}` is the one segment `{name}`
    the handler serves, and the bare trailing slash that the greedy route also catches."""
    if not template_path.endswith("+}"):
        return [template_path]
    prefix, _, variable = template_path.rpartition("/")
    return [f"{prefix}/{variable[:-2]}}}", f"{prefix}/"]


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {DOCUMENT.relative_to(application.ROOT)}")
    args = parser.parse_args()
    text = render(build_document())
    if args.write:
        DOCUMENT.write_text(text, encoding="utf-8")
        print(f"wrote {DOCUMENT.relative_to(application.ROOT)}")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
