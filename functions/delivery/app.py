"""Push delivery (issue 20): the shared delivery queue's consumer. Each message is one action for
one push pack: claimed, POSTed signed to the pack, completed by its answer or kept for later."""

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

from flyte_core.adapters import Adapters
from flyte_core.observability import logger, metrics, tracer
from flyte_core.services import delivery
from flyte_core.settings import Settings

adapters = Adapters(Settings.from_environ())  # once per environment (cold start)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> PartialItemFailureResponse:
    records = [(r["messageId"], r["body"], r["receiptHandle"]) for r in event.get("Records") or []]
    kept = delivery.handle_batch(adapters, records)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in kept]}
