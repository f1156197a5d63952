"""Issue 30's last item: the step matcher under throttling. It retries each AWS call once, reports a
record whose call still fails, and reports the records after it in the batch without working on them
(the event source retries from the first failed record anyway, on one lane of the shard); a retried
record creates nothing twice (moto, the handler in-process)."""

from __future__ import annotations

import copy
import json

import pytest

from flyte_local.event_sources import lanes


@pytest.fixture
def quick_start(invoke_handler, sample_event):
    invoke_handler("FlowsFunction", sample_event("flows-post-yaml.json"))
    for name in ("Slack", "Shell"):
        register = sample_event("packs-register.json")
        register["body"] = json.dumps({"name": name})
        assert invoke_handler("PacksFunction", register)["statusCode"] == 201


def batch_of(sample_event, count: int) -> dict:
    """`count` distinct Slack events, as the stream hands them over."""
    template = sample_event("step-matcher-stream-batch.json")["Records"][0]
    records = []
    for n in range(count):
        record = copy.deepcopy(template)
        event_id = f"6b0930c0a1b2c3d4e5f6{n:04d}"
        record["dynamodb"]["Keys"]["id"]["S"] = record["dynamodb"]["NewImage"]["id"]["S"] = event_id
        record["dynamodb"]["SequenceNumber"] = str(100000000000000000001 + n)
        records.append(record)
    return {"Records": records}


def shell_actions(aws, template_app) -> list[dict]:
    table = template_app.table_names["ActionsTable"]
    return [
        item for item in aws.client("dynamodb").scan(TableName=table)["Items"] if item.get("packName", {}).get("S") == "Shell"
    ]


def test_records_after_a_failed_one_are_reported_without_work_and_retried_exactly_once(
    quick_start, invoke_handler, sample_event, aws, template_app
):
    batch = batch_of(sample_event, 3)
    broken = copy.deepcopy(batch)
    del broken["Records"][1]["dynamodb"]["NewImage"]["packName"]  # the second record cannot be read
    reported = invoke_handler("StepMatcherFunction", broken)
    sequence = [record["dynamodb"]["SequenceNumber"] for record in batch["Records"]]
    assert reported == {"batchItemFailures": [{"itemIdentifier": sequence[1]}, {"itemIdentifier": sequence[2]}]}
    assert len(shell_actions(aws, template_app)) == 1  # the first record's; the third was not worked on

    # the event source retries from the first failed record; the record before it was done once
    assert invoke_handler("StepMatcherFunction", {"Records": batch["Records"][1:]}) == {"batchItemFailures": []}
    assert invoke_handler("StepMatcherFunction", batch) == {"batchItemFailures": []}  # a redelivery: nothing new
    assert len(shell_actions(aws, template_app)) == 3


def test_the_matcher_retries_each_aws_call_once_and_the_api_functions_twice(aws, template_app):
    from flyte_local.runtime import FunctionRuntime

    attempts = {}
    for function in ("StepMatcherFunction", "PackRuntimeFunction"):
        declared = template_app.functions[function]
        module = FunctionRuntime(declared, {**declared.environment, "AWS_ENDPOINT_URL": aws.endpoint}).load_module()
        attempts[function] = module.adapters.aws.sqs.meta.config.retries["total_max_attempts"]
    assert attempts == {"StepMatcherFunction": 2, "PackRuntimeFunction": 4}  # the first attempt included


def record(event_id: str, sequence: int) -> dict:
    return {"dynamodb": {"Keys": {"id": {"S": event_id}}, "SequenceNumber": str(sequence)}}


def test_parallel_lanes_keep_each_keys_records_in_order_and_spread_the_keys():
    """The local stream poller splits a shard's records as Lambda's ParallelizationFactor does."""
    records = [record(f"event-{n % 40}", n) for n in range(200)]
    split = lanes(records, 10)
    assert 5 <= len(split) <= 10 and sorted(r["dynamodb"]["SequenceNumber"] for lane in split for r in lane) == sorted(
        r["dynamodb"]["SequenceNumber"] for r in records
    )
    for lane in split:
        for key in {r["dynamodb"]["Keys"]["id"]["S"] for r in lane}:
            mine = [int(r["dynamodb"]["SequenceNumber"]) for r in lane if r["dynamodb"]["Keys"]["id"]["S"] == key]
            assert mine == sorted(mine) and len(mine) == 5  # all of a key's records, in one lane, in order
    assert lanes(records, 1) == [records]
