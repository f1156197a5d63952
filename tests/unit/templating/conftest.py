"""Shared fixtures for the template engine tests (the engine lives in layers/flyte_core)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
LAYER = HERE.parents[2] / "layers" / "flyte_core"
if str(LAYER) not in sys.path:  # pyproject's pythonpath covers pytest runs from the repo root
    sys.path.insert(0, str(LAYER))


@pytest.fixture(scope="session")
def spec_fixtures() -> dict:
    return json.loads((HERE / "fixtures.json").read_text(encoding="utf-8"))


@pytest.fixture
def make_reader(spec_fixtures):
    """Build a DatastoreReader over {key: {"contentType", "value"}} (default: spec fixture DS)."""

    def build(items: dict | None = None):
        store = spec_fixtures["DS"] if items is None else items

        def read(key: str) -> tuple[str, bytes]:
            item = store[key]  # KeyError when missing, as the interface says
            return item["contentType"], item["value"].encode("utf-8")

        return read

    return build


@pytest.fixture
def ds(make_reader):
    return make_reader()
