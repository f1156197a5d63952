"""Whether the API can reach what it stores things in."""

from __future__ import annotations

from ..adapters import Adapters
from ..domain.errors import Unavailable
from ..observability import logger


def check(adapters: Adapters) -> None:
    """Unavailable when DynamoDB does not answer (or the tables are missing)."""
    try:
        adapters.health.ping()
    except Exception as error:  # whatever the SDK raises, the answer is the same 503
        logger.warning("health check failed", extra={"error": str(error)})
        raise Unavailable("The API cannot reach its tables.") from None
