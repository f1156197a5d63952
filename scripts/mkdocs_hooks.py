"""MkDocs hooks (mkdocs.yml `hooks:`): the reference pages are generated from the code as the site
is built (flyte_local/docs_reference.py), so that `make docs-check` fails when they cannot be."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# `mkdocs` runs from .venv/bin: the repository's packages by path. MkDocs restores sys.path once the
# hook is loaded, so the paths go in again before each build (the generators import as they run).
PATHS = (str(ROOT), str(ROOT / "layers" / "flyte_core"))


def _importable() -> None:
    for path in PATHS:
        if path not in sys.path:
            sys.path.insert(0, path)


_importable()
from flyte_local import docs_reference  # noqa: E402

_anchors: dict[str, str] = {}


def on_pre_build(config: Any) -> None:
    _importable()
    _anchors.clear()
    _anchors.update(docs_reference.heading_anchors(Path(config["docs_dir"])))


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return docs_reference.expand(markdown, page.file.src_uri, _anchors)
