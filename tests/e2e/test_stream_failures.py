"""Stream records that keep failing land in the on-failure queue; the rest of the stream goes on."""

import json
import time

import pytest

pytestmark = pytest.mark.e2e


def test_a_poison_record_reaches_the_dlq_and_the_next_event_still_runs(stack, backend, make_pack, post_flow):
    post_flow(
        {
            "name": "after-poison",
            "steps": [
                {
                    "id": "s",
                    "event": {"packName": "Src", "name": "Good"},
                    "command": {"packName": "Dst", "name": "Do", "input": "ok"},
                }
            ],
        }
    )
    src, dst = make_pack("Src"), make_pack("Dst")
    # An event item no API would write (no pack, no times): the step matcher cannot read it.
    backend.client("dynamodb").put_item(
        TableName=stack.app.table_names["EventsTable"], Item={"id": {"S": "poison"}, "name": {"S": "Good"}}
    )
    src.send_event("Good", {})
    assert dst.take_until(timeout=15).input == "ok"

    sqs = backend.client("sqs")
    dlq = sqs.get_queue_url(QueueName=stack.app.queue_names["StepMatcherFailures"])["QueueUrl"]
    deadline = time.monotonic() + 60  # a deadline: the record's retries take longer on a loaded machine
    messages = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", [])
    (message,) = messages
    failure = json.loads(message["Body"])
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
