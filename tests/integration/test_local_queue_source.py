"""The local stack runs SQS-triggered functions as Lambda's SQS event source mapping does (issue 20):
batches of the template's queue, the handled messages deleted, reported batch item failures and
failed invocations left to come back after their visibility timeout."""

from __future__ import annotations

import json
import threading
import time

import pytest

from flyte_local.application import QueueSource
from flyte_local.event_sources import QueuePoller


@pytest.fixture
def queue(aws, template_app):
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="flyte-local-test-source", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    template_app.queue_names["TestSource"] = "flyte-local-test-source"
    yield sqs, url
    template_app.queue_names.pop("TestSource")


def poller(template_app, aws, invoke, report=True):
    source = QueueSource(function="F", queue="TestSource", batch_size=10, report_item_failures=report)
    return QueuePoller(source, template_app, aws, invoke, pollers=1)


def left(sqs, url) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def test_handled_messages_are_deleted_and_reported_failures_come_back(queue, template_app, aws):
    sqs, url = queue
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))
    batches: list[list[dict]] = []

    def invoke(function, event):
        batches.append(event["Records"])
        failed = [r["messageId"] for r in event["Records"] if json.loads(r["body"])["n"] == 1]
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    source = poller(template_app, aws, invoke)
    source.queue_url = url
    deadline = time.monotonic() + 10
    while sum(len(b) for b in batches) < 3 and time.monotonic() < deadline:
        source.poll_once()
    record = batches[0][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(":flyte-local-test-source")
    assert {"messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody", "awsRegion"} <= set(record)
    assert left(sqs, url) == 1  # the failure stays, hidden until its visibility timeout
    again: list[dict] = []
    while not again and time.monotonic() < deadline:
        source.poll_once()
        again = [r for b in batches[1:] for r in b if json.loads(r["body"])["n"] == 1]
    assert again and int(again[0]["attributes"]["ApproximateReceiveCount"]) == 2


def test_a_failed_invocation_keeps_the_whole_batch(queue, template_app, aws):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="{}")

    def invoke(function, event):
        raise RuntimeError("the function failed")

    source = poller(template_app, aws, invoke)
    source.queue_url = url
    assert source.poll_once() == 1
    assert left(sqs, url) == 1


def test_an_identifier_that_names_no_message_fails_the_batch(queue, template_app, aws):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    source = poller(template_app, aws, lambda function, event: {"batchItemFailures": [{"itemIdentifier": "nope"}]})
    source.queue_url = url
    source.poll_once()
    assert left(sqs, url) == 1


def test_pollers_start_and_stop_with_the_stack_threads(queue, template_app, aws):
    sqs, url = queue
    seen = threading.Event()
    source = poller(template_app, aws, lambda function, event: seen.set())
    source.start()
    try:
        sqs.send_message(QueueUrl=url, MessageBody="{}")
        assert seen.wait(10)
    finally:
        source.stop()
    assert not any(thread.is_alive() for thread in source._threads)


def test_the_template_feeds_the_delivery_function_from_the_delivery_queue(template_app):
    assert (
        QueueSource("DeliveryFunction", "DeliveryQueue", batch_size=10, report_item_failures=True) in template_app.queue_sources
    )
