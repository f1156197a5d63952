"""Test-wide set-up: one moto server for the session, reached over HTTP exactly as the local stack and
the handlers reach AWS (AWS_ENDPOINT_URL), with the tables and queues of template.yaml.

The environment is set before any flyte_core module is imported, because the PynamoDB models read
their table names and endpoint when they are defined.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from flyte_local import application
from flyte_local.backend import Backend
from flyte_local.stack import FAKE_CREDENTIALS, LOCAL_ENVIRONMENT, LocalStack, merged_environment

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"

for _key, _value in {**FAKE_CREDENTIALS, **LOCAL_ENVIRONMENT}.items():
    os.environ[_key] = _value
os.environ.pop("AWS_PROFILE", None)
_BACKEND = Backend()
os.environ["AWS_ENDPOINT_URL"] = _BACKEND.endpoint
_APP = application.load(_BACKEND.endpoint)
os.environ.update(merged_environment(_APP))
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # tests assert behaviour; keep their output readable


QUIET = {"LogLevel": "WARNING"}  # the functions' own logs; failures still show


@pytest.fixture(scope="session")
def backend() -> Backend:
    return _BACKEND


@pytest.fixture(scope="session")
def template_app() -> application.Application:
    return _APP


@pytest.fixture
def aws(backend: Backend) -> Iterator[Backend]:
    """A clean moto with the template's tables and queues, for integration tests."""
    backend.reset()
    backend.create_resources(_APP)
    yield backend


@pytest.fixture(scope="module")
def stack(backend: Backend) -> Iterator[LocalStack]:
    """The local stack (gateway, functions, stream pollers) on a free port, over a clean moto."""
    backend.reset()
    local = LocalStack(port=0, endpoint=backend.endpoint, parameter_overrides=QUIET).start()
    yield local
    local.stop()


@pytest.fixture(scope="session")
def sample_event():
    """Loads a sample Lambda event from events/ (the same files `sam local invoke -e` takes)."""

    def load(name: str) -> dict:
        return json.loads((EVENTS / name).read_text(encoding="utf-8"))

    return load
