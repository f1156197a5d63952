"""The docs site (issue 26): its reference pages are generated from the code and cover all of it, the
README is short and leads into the site, and the README's quick start is the tested one.
`make docs-check` (in `make test`) builds the site strictly: a broken link or anchor fails there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from flyte_local import docs_reference
from flyte_local.cfn import load_template

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TEMPLATE = load_template(ROOT / "template.yaml")


def test_the_api_reference_has_every_operation_of_the_served_document_and_its_function():
    document = json.loads((ROOT / "functions/info/openapi.json").read_text(encoding="utf-8"))
    page = docs_reference.openapi_markdown(document, docs_reference.routes(TEMPLATE))
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in docs_reference.METHODS:
                assert f"### {method.upper()} `{path}` {{#{operation['operationId'].lower()}}}" in page
    assert "| POST | [`/v1/packs/{packId}/events`](#postevent) | PackRuntimeFunction |" in page


def test_routes_the_document_leaves_out_are_listed_with_their_function():
    served = docs_reference.routes(TEMPLATE)
    assert served[("post", "/v1/packs")] == "PacksFunction"
    document = {"openapi": "3.1.0", "paths": {}}
    page = docs_reference.openapi_markdown(document, {("post", "/slack/events"): "SlackFunction"})
    assert "| POST | `/slack/events` | SlackFunction |" in page


def test_the_cli_reference_has_every_command_with_its_options():
    page = docs_reference.cli_markdown()
    for command in ["flyte", "flyte flows apply", "flyte flows replay", "flyte events send", "flyte audit tail", "flyte import"]:
        assert f"### `{command}`" in page
    apply = page.split("### `flyte flows apply`", 1)[1].split("### ", 1)[0]
    assert "| `--file`, `-f` | A flow document, JSON or YAML" in apply
    assert "(env `FLYTE_API`)" in page


def test_the_configuration_reference_has_every_parameter_and_variable():
    parameters = docs_reference.parameters_markdown(TEMPLATE)
    for name, spec in TEMPLATE["Parameters"].items():
        assert f"| `{name}` | {spec['Type']} |" in parameters
    environment = docs_reference.environment_markdown(TEMPLATE)
    assert "| `FLYTE_TAKE_WAIT_SECONDS` | parameter `TakeWaitSeconds` | every function |" in environment
    assert "| `FLYTE_EVENTS_TABLE` | the stack's `EventsTable` | every function |" in environment
    assert "| PackReaperFunction |" in environment.split("`FLYTE_SHOULD_DELETE_DEAD_PACKS`", 1)[1].split("\n", 1)[0] + "|"


def test_the_limits_reference_has_every_bound_with_its_value_and_reason():
    from flyte_core.domain import bounds

    page = docs_reference.bounds_markdown((ROOT / "layers/flyte_core/flyte_core/domain/bounds.py").read_text(encoding="utf-8"))
    assert f"| `MAX_DOCUMENT_BYTES` | {bounds.MAX_DOCUMENT_BYTES:,} | a JSON request body, before parsing |" in page
    assert f"| `MAX_PATH_SEGMENT_BYTES` | {bounds.MAX_PATH_SEGMENT_BYTES:,} |" in page
    constants = [name for name in vars(bounds) if name.isupper() and not name.startswith("_")]
    assert all(f"| `{name}` |" in page for name in constants)


def test_a_marker_naming_nothing_fails_the_build():
    with pytest.raises(ValueError, match="no reference 'nothing'"):
        docs_reference.expand("<!-- reference: nothing -->", "x.md", {})
    with pytest.raises(ValueError, match="no README"):
        docs_reference.expand("<!-- include: secrets.txt -->", "x.md", {})


def test_an_included_readme_links_into_the_site():
    anchors = docs_reference.heading_anchors(DOCS)
    page = docs_reference.expand(
        "<!-- include: packs/shell/README.md -->\nshown on GitHub\n<!-- /include -->", "packs/shell.md", anchors
    )
    assert "shown on GitHub" not in page and "<!--" not in page
    links = [link for link in re.findall(r"\]\(([^)\s]+)\)", page) if not link.startswith(("http", "#"))]
    assert links and all((DOCS / "packs" / link.split("#")[0]).resolve().is_file() for link in links), links
    assert "](sdk.md#the-shell-pack)" in page  # packs/README.md is the SDK page
    assert "](../writing-flows/shell-commands.md)" in page


def test_every_page_is_in_the_nav_and_every_nav_entry_is_a_page():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)

    def entries(nav):
        for entry in nav:
            if isinstance(entry, str):
                yield entry
            else:
                for value in entry.values():
                    yield from ([value] if isinstance(value, str) else entries(value))

    listed = set(entries(config["nav"]))
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert listed <= pages
    # pages other developers add in parallel are listed by the integrator when they arrive
    assert pages - listed <= {"schedules-and-webhooks.md", "secrets.md", "operating.md", "chatops.md"}


def test_the_readme_is_a_short_page_that_leads_into_the_site():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    before_dependencies = readme.split("## Dependencies and why", 1)[0]
    assert len(before_dependencies.splitlines()) <= 80  # two minutes
    assert "```mermaid" in readme and "make run" in readme and "make test" in readme
    for target in re.findall(r"\]\(((?:docs|packs|cli)/[^)#\s]+|CHANGELOG.md)[^)]*\)", readme):
        assert (ROOT / target).is_file(), target


def test_the_readme_quick_start_is_the_tested_one():
    """Its commands are the quick start's, which tests/e2e/test_docs_samples.py runs from the page."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start in five lines", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    page = (DOCS / "getting-started" / "local.md").read_text(encoding="utf-8")
    commands = [line.split("  #", 1)[0].strip().removeprefix(".venv/bin/") for line in block.splitlines()]
    assert len(commands) == 5
    for command in commands[2:]:
        assert command in page, command


def test_every_filter_and_function_has_an_example_the_engine_renders():
    from flyte_core.domain.templating.filters import FILTERS
    from flyte_core.domain.templating.functions import FUNCTIONS

    examples = yaml.safe_load((DOCS / "writing-flows" / "template-examples.yaml").read_text(encoding="utf-8"))
    assert set(examples["filters"]) == set(FILTERS)
    assert set(examples["functions"]) == set(FUNCTIONS)
    page = docs_reference.template_examples_markdown(examples)
    assert "| `shellquote` | `echo {{ Event.Payload.note|shellquote }}` | `echo 'it'\\''s \"done\"'` |" in page
    assert "| `datastore` | `{{ datastore('teams').sre.room }}` | `C-SRE` |" in page


def test_an_example_that_no_longer_renders_fails_the_build():
    examples = yaml.safe_load((DOCS / "writing-flows" / "template-examples.yaml").read_text(encoding="utf-8"))
    examples["filters"] = {"index": "{{ Event.Payload.tags|index:-1 }}"}
    with pytest.raises(ValueError, match="template example 'index'"):
        docs_reference.template_examples_markdown(examples)
