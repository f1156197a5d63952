"""Test-wide set-up: one moto server for the session, reached over HTTP exactly as the local stack and
the handlers reach AWS (AWS_ENDPOINT_URL), with the tables and queues of template.yaml.

The environment is set before any flyte_core module is imported, because the PynamoDB models read
their table names and endpoint when they are defined. moto itself starts only when a test asks for
it (`backend`, `aws`, `stack`): pure unit tests run without it.
"""

from __future__ import annotations

import json
import os
import socket
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
# pytest-xdist's workers inherit a COLUMNS of their own; what the CLI prints must not depend on the runner.
os.environ.pop("COLUMNS", None)
with socket.socket() as _probe:  # the port moto will listen on, known before it starts
    _probe.bind(("127.0.0.1", 0))
    _MOTO_PORT = _probe.getsockname()[1]
_ENDPOINT = f"http://127.0.0.1:{_MOTO_PORT}"
os.environ["AWS_ENDPOINT_URL"] = _ENDPOINT
_APP = application.load(_ENDPOINT)
os.environ.update(merged_environment(_APP))
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # tests assert behaviour; keep their output readable


QUIET = {"LogLevel": "WARNING"}  # the functions' own logs; failures still show


@pytest.fixture(scope="session")
def backend() -> Iterator[Backend]:
    started = Backend(port=_MOTO_PORT)
    assert started.endpoint == _ENDPOINT
    yield started
    started.stop()


@pytest.fixture(scope="session")
def template_app() -> application.Application:
    return _APP


@pytest.fixture
def aws(backend: Backend) -> Iterator[Backend]:
    """A clean moto with the template's tables and queues, for integration tests."""
    backend.reset()
    backend.create_resources(_APP)
    yield backend


@pytest.fixture(scope="session")
def shared_stack(backend: Backend) -> Iterator[LocalStack]:
    """One local stack (gateway, functions, stream pollers) on a free port for the session: starting
    its functions is what costs, so the modules share them."""
    local = LocalStack(port=0, endpoint=backend.endpoint, parameter_overrides=QUIET).start()
    local.pause()  # until a module asks for it
    yield local
    local.stop()


@pytest.fixture(scope="module")
def stack(shared_stack: LocalStack) -> Iterator[LocalStack]:
    """The local stack over a clean moto for each module (no data from another module); its stream
    pollers run only while the module does, so that integration tests may reset moto after."""
    shared_stack.reset()
    yield shared_stack
    shared_stack.pause()


@pytest.fixture(scope="session")
def sample_event():
    """Loads a sample Lambda event from events/ (the same files `sam local invoke -e` takes)."""

    def load(name: str) -> dict:
        return json.loads((EVENTS / name).read_text(encoding="utf-8"))

    return load


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test`), the e2e tests run one after another on one worker: each
    starts real processes and times what packs would notice, so two of them at once on a 2-core
    machine would measure the machine. The other tests share out over the workers."""
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.xdist_group("e2e"))
