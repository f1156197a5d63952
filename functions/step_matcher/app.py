"""The events table's stream consumer: each new event becomes the actions of the flows it concerns.

Under throttling (issue 30) it does not sleep through the SDK's backoffs while its shard waits: its
AWS calls are retried once (MATCHER_AWS_RETRIES), a record whose call still fails is reported as a
batch item failure, and the records after it in the batch are reported too without being worked on
(the event source retries from the first failed record anyway). The event source retries them
(MaximumRetryAttempts, up to MaximumRecordAgeInSeconds) on one lane of the shard while its other
lanes go on (ParallelizationFactor). Matching is idempotent, so a retried record creates nothing twice.

Within a batch, flow triggers and the packs of a name come from per-environment caches checked
against their tables' version markers once per batch (adapters/lookups.py, issue 21).
"""

from dataclasses import replace

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord, DynamoDBRecordEventName

from flyte_core import observability
from flyte_core.adapters import Adapters
from flyte_core.observability import logger, metrics, tracer
from flyte_core.services import matching
from flyte_core.settings import Settings

MATCHER_AWS_RETRIES = 1  # each AWS call: the first attempt and one retry, then the record is retried by the stream

# a batch whose first record failed reports every record (the rest without work): item failures, not an
# error of the whole invocation (the event source retries from the first failed record either way)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
settings = Settings.from_environ()  # once per environment (cold start)
adapters = Adapters(replace(settings, aws=replace(settings.aws, retries=MATCHER_AWS_RETRIES)))


class AfterAFailedRecord(Exception):
    """A record after one that failed in the same batch: retried with it, not worked on now."""


class _Batch:
    failed = False


batch = _Batch()


@tracer.capture_method(capture_response=False)
def record_handler(record: DynamoDBRecord) -> None:
    if batch.failed:
        raise AfterAFailedRecord(record.dynamodb.sequence_number if record.dynamodb else "")
    if record.event_name is not DynamoDBRecordEventName.INSERT:
        return  # events are written once; TTL deletions need nothing
    try:
        event, outcome = matching.match_stored_event(adapters, record.raw_event["dynamodb"]["NewImage"])
    except Exception:
        batch.failed = True
        raise
    logger.info(
        "event matched",
        extra={"event": event.name, "packName": event.pack_name, "actions": outcome.created, "failedSteps": outcome.failed_steps},
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> PartialItemFailureResponse:
    batch.failed = False
    # issue 21: flow triggers and packs cached while their tables' version markers hold
    adapters.lookups.begin_batch(len(event.get("Records") or []))
    try:
        response = process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    finally:
        adapters.lookups.end_batch()
    observability.record_stream_batch(len(event.get("Records") or []), len(response.get("batchItemFailures") or []))
    return response
