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


def three_pollers(template_app, aws, invoke) -> QueuePoller:
    source = QueueSource(function="F", queue="TestSource", batch_size=1, report_item_failures=True)
    return QueuePoller(source, template_app, aws, invoke, pollers=3)


def test_a_slow_batch_does_not_hold_up_the_next_message(queue, template_app, aws):
    """While the first poller's batch runs, the others poll: the next message is handled meanwhile."""
    sqs, url = queue
    first_running, release, second_handled = threading.Event(), threading.Event(), threading.Event()

    def invoke(function, event):
        if json.loads(event["Records"][0]["body"])["n"] == 0:
            first_running.set()
            assert release.wait(30)
        else:
            second_handled.set()
        return {"batchItemFailures": []}

    source = three_pollers(template_app, aws, invoke)
    source.start()
    try:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 0}))
        assert first_running.wait(10)
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 1}))
        assert second_handled.wait(10), "the second message waited for the first batch"
    finally:
        release.set()
        source.stop()


def test_an_idle_queue_is_polled_by_one_poller(queue, template_app, aws):
    """Nothing comes: one receive at a time (a second each), not one per poller (issue 28: idle stacks'
    CPU)."""
    source = three_pollers(template_app, aws, lambda function, event: {"batchItemFailures": []})
    receivers: list[str] = []
    receive = source.sqs.receive_message

    def counted(**kwargs):
        receivers.append(threading.current_thread().name)
        return receive(**kwargs)

    source.sqs.receive_message = counted
    source.start()
    try:
        deadline = time.monotonic() + 30
        while len(receivers) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        source.stop()
    assert set(receivers) == {"sqs-F-0"}, receivers


def test_the_template_feeds_the_delivery_function_from_the_delivery_queue(template_app):
    assert (
        QueueSource("DeliveryFunction", "DeliveryQueue", batch_size=10, report_item_failures=True) in template_app.queue_sources
    )
