"""Whether the API can reach what it stores things in, and if not, which dependency failed."""

from __future__ import annotations

from ..adapters import Adapters
from ..domain.errors import Unavailable
from ..observability import logger


def check(adapters: Adapters) -> None:
    """Unavailable, naming every table DynamoDB did not describe (unreachable, missing, not allowed)."""
    failed = adapters.health.failures()
    if failed:
        logger.warning("health check failed", extra={"failed": failed})
        named = ", ".join(f"{name} ({why})" for name, why in failed.items())
        raise Unavailable(
            f"The API cannot reach {named}.",
            failed=[{"dependency": name, "error": why} for name, why in failed.items()],
        )
