"""The step matcher is idempotent: the same stream batch, delivered twice or concurrently, creates
each action once, and duplicate queue messages still hand the action out once (moto)."""

import threading

import pytest

from flyte_core.domain import flows, ids, packs, times
from flyte_core.domain.errors import StateConflict
from flyte_core.domain.events import Event
from flyte_core.services import pipeline, registry


def stream_batch(aws, template_app):
    """The records the events table's stream holds now, as Lambda would deliver them."""
    from flyte_local.event_sources import _record_event

    streams = aws.client("dynamodbstreams")
    arn = aws.client("dynamodb").describe_table(TableName=template_app.table_names["EventsTable"])["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return {"Records": [_record_event(r, arn) for r in streams.get_records(ShardIterator=iterator)["Records"]]}


def setup_flow_and_events(adapters, count):
    adapters.flows_table.save(
        flows.normalise(
            {
                "name": "idem",
                "steps": [
                    {
                        "id": "s",
                        "event": {"packName": "Src", "name": "E"},
                        "command": {"packName": "Dst", "name": "Do", "input": "{{ Event.Payload.n }}"},
                    }
                ],
            }
        )
    )
    source = registry.register(adapters, packs.parse_registration({"name": "Src"}))
    destination = registry.register(adapters, packs.parse_registration({"name": "Dst"}))
    for n in range(count):
        pipeline.receive_event(adapters, source, "E", {"n": n}, None)
    return destination


@pytest.fixture
def matcher(invoke_handler):
    return lambda batch: invoke_handler("StepMatcherFunction", batch)


def test_the_same_batch_twice_and_concurrently_creates_each_action_once(aws, adapters, template_app, matcher):
    destination = setup_flow_and_events(adapters, 5)
    batch = stream_batch(aws, template_app)
    assert len(batch["Records"]) == 5
    assert matcher(batch) == {"batchItemFailures": []}
    assert matcher(batch) == {"batchItemFailures": []}
    threads = [threading.Thread(target=matcher, args=(batch,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    actions = [a for a in adapters.models.actions.scan() if a.recordType == "action"]
    assert sorted(a.input for a in actions) == ["0", "1", "2", "3", "4"]
    # Every delivery sent a message; each action is still taken exactly once.
    taken = []
    while (action := pipeline.take(adapters, destination, 0)) is not None:
        taken.append(action.input)
    assert sorted(taken) == ["0", "1", "2", "3", "4"]


def test_a_result_delivered_twice_continues_its_execution_once(aws, adapters, template_app, matcher):
    adapters.flows_table.save(
        flows.normalise(
            {
                "name": "cont",
                "steps": [
                    {"id": "a", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Dst", "name": "Do"}},
                    {
                        "id": "b",
                        "dependsOn": ["a"],
                        "event": {"packName": "Dst", "name": "Done"},
                        "command": {"packName": "Src", "name": "Next"},
                    },
                ],
            }
        )
    )
    source = registry.register(adapters, packs.parse_registration({"name": "Src"}))
    destination = registry.register(adapters, packs.parse_registration({"name": "Dst"}))
    pipeline.receive_event(adapters, source, "E", {}, None)
    matcher(stream_batch(aws, template_app))
    taken = pipeline.take(adapters, destination, 0)
    pipeline.complete(adapters, destination, taken.id, "Done", {}, None)
    batch = stream_batch(aws, template_app)  # the first event and the result
    matcher(batch)
    matcher(batch)
    records = adapters.actions_table.in_execution(taken.correlation_id)
    assert sorted(a.step_id for a in records) == ["a", "b"]
    assert pipeline.take(adapters, source, 0).name == "Next"
    assert pipeline.take(adapters, source, 0) is None


def test_a_refused_result_leaves_no_event_and_no_stream_record(aws, adapters, template_app, matcher):
    """The action's end and its result event are one transaction: when the end is refused, neither lands."""
    destination = setup_flow_and_events(adapters, 1)
    matcher(stream_batch(aws, template_app))
    taken = pipeline.take(adapters, destination, 0)
    pipeline.complete(adapters, destination, taken.id, "Done", {}, None)
    records_before = len(stream_batch(aws, template_app)["Records"])

    late = Event(id=ids.new_id(), name="Done", pack_id="Dst", pack_name="Dst", received_at=times.now(), action_id=taken.id)
    try:
        adapters.actions_table.finish(taken, late)  # `taken` still says PENDING; the table does not
        raise AssertionError("a finished action took a second result")
    except StateConflict:
        pass
    assert adapters.models.events.count(late.id) == 0
    assert len(stream_batch(aws, template_app)["Records"]) == records_before
    assert adapters.actions_table.get(taken.id).result["event"] == "Done"
