"""The local stack's fault injection (issue 30): the proxy answers as a throttled or failing AWS does,
in each service's protocol, applies a call and loses its reply, or slows it; seeded, so repeatable."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from flyte_local.faults import FaultProxy, FaultSpec


def test_a_spec_reads_every_kind_and_refuses_what_is_not_one():
    spec = FaultSpec.parse("throttle=0.05, error=0.1,latency=0.2:300ms,lost-reply=0.05,seed=7")
    assert (spec.throttle, spec.error, spec.latency, spec.latency_ms, spec.lost_reply, spec.seed) == (
        0.05,
        0.1,
        0.2,
        300,
        0.05,
        7,
    )
    assert FaultSpec.parse("latency=1:2s").latency_ms == 2000
    assert not FaultSpec.parse("").active
    for wrong in ("slow=0.1", "throttle=2", "throttle=0.6,error=0.6", "latency=0.1:soon", "throttle"):
        with pytest.raises(ValueError):
            FaultSpec.parse(wrong)


def test_the_same_seed_makes_the_same_decisions():
    spec = FaultSpec.parse("throttle=0.2,error=0.2,lost-reply=0.2,latency=0.3,seed=42")
    first, second = FaultProxy("http://127.0.0.1:1", spec), FaultProxy("http://127.0.0.1:1", spec)
    try:
        decisions = [first.decide() for _ in range(200)]
        assert decisions == [second.decide() for _ in range(200)]
        kinds = [kind for kind, _ in decisions]
        assert {"throttle", "error", "lost-reply", None} <= set(kinds)
        assert 10 < kinds.count("throttle") < 70  # about a fifth of 200
    finally:
        first._server.server_close()
        second._server.server_close()


@pytest.fixture
def through(aws, template_app):
    """boto3 clients (no SDK retries) that reach moto through a proxy with the given faults."""
    proxies: list[FaultProxy] = []

    def make(text: str) -> tuple[FaultProxy, object, object]:
        proxy = FaultProxy(aws.endpoint, FaultSpec.parse(text)).start()
        proxies.append(proxy)
        config = Config(retries={"mode": "standard", "total_max_attempts": 1})
        clients = [boto3.client(s, region_name="us-east-1", endpoint_url=proxy.url, config=config) for s in ("dynamodb", "sqs")]
        return proxy, clients[0], clients[1]

    yield make
    for proxy in proxies:
        proxy.stop()


def table(template_app) -> str:
    return template_app.table_names["EventsTable"]


def queue(aws, template_app) -> str:
    name = next(iter(template_app.queue_names.values()))
    return aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def test_throttles_speak_each_protocol(aws, template_app, through):
    proxy, dynamodb, sqs = through("throttle=1")
    with pytest.raises(ClientError) as dynamo_error:
        dynamodb.get_item(TableName=table(template_app), Key={"id": {"S": "x"}})
    assert dynamo_error.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    with pytest.raises(ClientError) as sqs_error:
        sqs.send_message(QueueUrl=queue(aws, template_app), MessageBody="m")
    assert sqs_error.value.response["Error"]["Code"] == "ThrottlingException"
    assert proxy.counts[("throttle", "GetItem")] == 1 and proxy.counts[("throttle", "SendMessage")] == 1


def test_errors_are_aws_500s(aws, template_app, through):
    _, dynamodb, _ = through("error=1")
    with pytest.raises(ClientError) as error:
        dynamodb.get_item(TableName=table(template_app), Key={"id": {"S": "x"}})
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert error.value.response["Error"]["Code"] == "InternalServerError"


def test_a_lost_reply_was_applied(aws, template_app, through):
    proxy, dynamodb, _ = through("lost-reply=1")
    with pytest.raises(ClientError):
        dynamodb.put_item(TableName=table(template_app), Item={"id": {"S": "applied"}})
    stored = aws.client("dynamodb").get_item(TableName=table(template_app), Key={"id": {"S": "applied"}})
    assert stored["Item"]["id"] == {"S": "applied"} and proxy.counts[("lost-reply", "PutItem")] == 1


def test_latency_slows_calls_and_no_fault_passes_through(aws, template_app, through):
    proxy, dynamodb, _ = through("latency=1:200ms")
    started = time.monotonic()
    assert "Item" not in dynamodb.get_item(TableName=table(template_app), Key={"id": {"S": "x"}})
    assert time.monotonic() - started >= 0.2 and proxy.counts[("latency", "GetItem")] == 1
