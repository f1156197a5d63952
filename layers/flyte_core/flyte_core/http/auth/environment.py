"""The guard of this execution environment: built once at cold start from the environment variables,
with the AWS adapters for the policy (SSM) and the built-in issuer's secret (Secrets Manager)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from ...domain import times
from ...settings import AwsAccess
from .guard import Guard, auth_settings, build_guard

if TYPE_CHECKING:
    from ...adapters.auth_store import AuthStore
    from ...domain.revocations import Revocation


@lru_cache(maxsize=1)
def _auth_store() -> AuthStore:
    """The store of this environment, on the AWS access its variables name (read once)."""
    from ...adapters.auth_store import AuthStore
    from ...adapters.aws import Aws

    return AuthStore(Aws(AwsAccess.from_environ()))


def _read_parameter(name: str) -> str:
    return _auth_store().parameter_value(name)


def _read_secret(secret_id: str) -> str:
    return _auth_store().secret_string(secret_id)


def _read_revocations(table_name: str) -> list[Revocation]:
    from ...adapters.revocations_table import RevocationsTable

    return RevocationsTable(_auth_store().aws, table_name).all(times.now())


@lru_cache(maxsize=1)
def environment_guard() -> Guard | None:
    """None when auth is off; raises ConfigurationError (stopping the cold start) when it cannot work."""
    settings = auth_settings()
    return None if settings is None else build_guard(settings, _read_parameter, _read_secret, _read_revocations)
