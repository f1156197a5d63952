"""The one write push delivery adds to an action's life (issue 20): after a failed attempt the
delivery gives its lease back early, so the retry (after the backoff) claims the action as any
expired lease is claimed - one more attempt, counted, with FATAL after the last."""

from __future__ import annotations

from datetime import datetime

from .conditions import written
from .models import ActionModel


class DeliveryLeases:
    def __init__(self, model: type[ActionModel]) -> None:
        self.model = model

    def release(self, action_id: str, attempt: int, until: datetime) -> bool:
        """End the lease of attempt `attempt` at `until`; False when that attempt no longer holds it
        (a result came, or another attempt began)."""
        actions = self.model
        condition = (actions.state == "PENDING") & (actions.attempts == attempt)
        return written(lambda: actions(action_id).update(actions=[actions.leaseExpiresAt.set(until)], condition=condition))
