"""Fires schedules (issue 22): EventBridge Scheduler invokes it with a schedule's target input, its
scheduled time filled in (the local stack does the same at the right second); the firing becomes one
event of the built-in Schedule pack, however often the invocation is retried."""

from typing import Any

from flyte_core.adapters import Adapters
from flyte_core.observability import logger, metrics, tracer
from flyte_core.services import schedules
from flyte_core.settings import Settings

adapters = Adapters(Settings.from_environ())  # once per environment (cold start)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    fired = schedules.fire(adapters, event)
    return {"eventId": fired.id if fired else None, "fired": fired is not None}
