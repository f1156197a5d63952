"""The events table's stream consumer: each new event becomes the actions of the flows it concerns."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord, DynamoDBRecordEventName

from flyte_core import observability
from flyte_core.adapters import Adapters
from flyte_core.observability import logger, metrics, tracer
from flyte_core.services import matching
from flyte_core.settings import Settings

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
adapters = Adapters(Settings.from_environ())  # once per environment (cold start)


@tracer.capture_method(capture_response=False)
def record_handler(record: DynamoDBRecord) -> None:
    if record.event_name is not DynamoDBRecordEventName.INSERT:
        return  # events are written once; TTL deletions need nothing
    event, outcome = matching.match_stored_event(adapters, record.raw_event["dynamodb"]["NewImage"])
    logger.info(
        "event matched",
        extra={"event": event.name, "packName": event.pack_name, "actions": outcome.created, "failedSteps": outcome.failed_steps},
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> PartialItemFailureResponse:
    response = process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    observability.record_stream_batch(len(event.get("Records") or []), len(response.get("batchItemFailures") or []))
    return response
