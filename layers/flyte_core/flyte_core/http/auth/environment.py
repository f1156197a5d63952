"""The guard of this execution environment: built once at cold start from the environment variables,
with the AWS adapters for the policy (SSM) and the built-in issuer's secret (Secrets Manager)."""

from __future__ import annotations

from functools import lru_cache

from .guard import Guard, auth_settings, build_guard


def _read_parameter(name: str) -> str:
    from ...adapters.auth_store import parameter_value

    return parameter_value(name)


def _read_secret(secret_id: str) -> str:
    from ...adapters.auth_store import secret_string

    return secret_string(secret_id)


@lru_cache(maxsize=1)
def environment_guard() -> Guard | None:
    """None when auth is off; raises ConfigurationError (stopping the cold start) when it cannot work."""
    settings = auth_settings()
    return None if settings is None else build_guard(settings, _read_parameter, _read_secret)
