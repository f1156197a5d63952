"""Daily: remove dead packs and their queues (when enabled, as the original), and end actions whose
last lease ran out while no pack polled for them."""

from flyte_core.adapters import Adapters
from flyte_core.observability import logger, metrics, tracer
from flyte_core.services import maintenance
from flyte_core.settings import Settings

adapters = Adapters(Settings.from_environ())  # once per environment (cold start)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    report = maintenance.run(adapters)
    logger.info("maintenance done", extra=report)
    return report
