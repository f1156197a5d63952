"""Test-wide fixtures. Pure unit tests need none of them: moto starts only when a test asks for AWS
(`backend`, `aws`, `adapters`, `stack`), and the layer's settings are built by the tests that need
them (`settings`), never read from os.environ.

The process only gets what every Lambda environment has and a developer's shell may lack: a region,
fake credentials (so that no test can reach a real account) and tracing/metrics switched off.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from flyte_local.stack import FAKE_CREDENTIALS, LOCAL_ENVIRONMENT

if TYPE_CHECKING:
    from flyte_core.adapters import Adapters
    from flyte_core.settings import Settings
    from flyte_local.application import Application
    from flyte_local.backend import Backend
    from flyte_local.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"

os.environ.update({**FAKE_CREDENTIALS, **LOCAL_ENVIRONMENT, "POWERTOOLS_LOG_LEVEL": "WARNING"})
os.environ.pop("AWS_PROFILE", None)
# pytest-xdist's workers inherit a COLUMNS of their own; what the CLI prints must not depend on the runner.
os.environ.pop("COLUMNS", None)

QUIET = {"LogLevel": "WARNING"}  # the functions' own logs; failures still show


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked `waits_on_the_clock` run first, in their order, the others after them in theirs:
    pytest-xdist hands modules out in this order, so that a module that mostly waits (a minute's tick,
    leases running out) waits while the others use the CPU, rather than alone at the suite's end."""
    items.sort(key=lambda item: item.get_closest_marker("waits_on_the_clock") is None)


@pytest.fixture(scope="session")
def backend() -> Iterator[Backend]:
    """One moto server for the session, reached over HTTP as the local stack reaches it."""
    from flyte_local.backend import Backend

    started = Backend()
    yield started
    started.stop()


@pytest.fixture(scope="session")
def template_app(backend: Backend) -> Application:
    from flyte_local import application

    return application.load(backend.endpoint)


@pytest.fixture(scope="session")
def settings(template_app: Application, backend: Backend) -> Settings:
    """The settings template.yaml gives every function, pointed at the test's moto."""
    from flyte_core.settings import Settings
    from flyte_local.stack import merged_environment

    return Settings.from_environ({**merged_environment(template_app), **LOCAL_ENVIRONMENT, "AWS_ENDPOINT_URL": backend.endpoint})


@pytest.fixture
def aws(backend: Backend, template_app: Application) -> Iterator[Backend]:
    """A clean moto with the template's tables and queues, for integration tests."""
    backend.reset()
    backend.create_resources(template_app)
    yield backend


@pytest.fixture
def adapters(aws: Backend, settings: Settings) -> Adapters:
    """The adapters a function builds at cold start, over a clean moto (fresh, so no cache outlives the data)."""
    from flyte_core.adapters import Adapters

    return Adapters(settings)


@pytest.fixture
def invoke_handler(aws: Backend, template_app: Application) -> Any:
    """Invoke a template function's handler in this process, imported with its own environment."""
    from flyte_local.runtime import FunctionRuntime

    runtimes: dict[str, FunctionRuntime] = {}

    def call(function: str, event: Any) -> Any:
        if function not in runtimes:
            declared = template_app.functions[function]
            runtimes[function] = FunctionRuntime(declared, {**declared.environment, "AWS_ENDPOINT_URL": aws.endpoint})
        return runtimes[function].invoke(event)

    return call


@pytest.fixture(scope="session")
def shared_stack(backend: Backend) -> Iterator[LocalStack]:
    """One local stack (gateway, functions, stream pollers) on a free port for the session: starting
    its functions is what costs, so the modules share them."""
    from flyte_local.stack import LocalStack

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
def shared_secure_stack(backend: Backend) -> Iterator[tuple[LocalStack, dict[str, str]]]:
    """One stack as `sam deploy` leaves it by default (the built-in token issuer on, no anonymous
    access) for the session, shared by the modules as `shared_stack` is; with its token secrets as
    started, which each module puts back after its reset (the warm functions hold their keys)."""
    from flyte_local.stack import LocalStack

    backend.reset()
    overrides = {**QUIET, "BuiltInTokenIssuer": "true", "AllowAnonymousAccess": "false"}
    local = LocalStack(port=0, endpoint=backend.endpoint, parameter_overrides=overrides).start()
    secretsmanager = backend.client("secretsmanager")
    secrets = {
        entry["Name"]: secretsmanager.get_secret_value(SecretId=entry["Name"])["SecretString"]
        for entry in secretsmanager.list_secrets()["SecretList"]
    }
    local.pause()  # until a module asks for it
    yield local, secrets
    local.stop()


@pytest.fixture(scope="module")
def secure_stack(shared_secure_stack: tuple[LocalStack, dict[str, str]], backend: Backend) -> Iterator[LocalStack]:
    """The secure stack over a clean moto for each module; a module that rotates the token secret
    starts a stack of its own (tests/e2e/test_trust.py)."""
    local, secrets = shared_secure_stack
    local.reset()
    secretsmanager = backend.client("secretsmanager")
    for name, value in secrets.items():  # the keys the warm functions already hold
        secretsmanager.put_secret_value(SecretId=name, SecretString=value)
    yield local
    local.pause()


@pytest.fixture(scope="module")
def provider():
    """A local OIDC issuer (tests/oidc.py): discovery document, JWKS and a signing key, on a free port."""
    from tests.oidc import OidcProvider

    provider = OidcProvider().start()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def sample_event():
    """Loads a sample Lambda event from events/ (the same files `sam local invoke -e` takes)."""

    def load(name: str) -> dict:
        return json.loads((EVENTS / name).read_text(encoding="utf-8"))

    return load
