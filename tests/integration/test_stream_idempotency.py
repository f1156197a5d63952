"""The step matcher is idempotent: the same stream batch, delivered twice or concurrently, creates
each action once, and duplicate queue messages still hand the action out once (moto)."""

import threading

from flyte_core.adapters import actions_table, flows_table
from flyte_core.adapters.models import ActionModel
from flyte_core.domain import flows, packs
from flyte_core.domain.errors import StateConflict
from flyte_core.services import pipeline, registry
from flyte_local.runtime import FunctionRuntime


def stream_batch(aws, template_app):
    """The records the events table's stream holds now, as Lambda would deliver them."""
    from flyte_local.event_sources import _record_event

    streams = aws.client("dynamodbstreams")
    arn = aws.client("dynamodb").describe_table(TableName=template_app.table_names["EventsTable"])["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return {"Records": [_record_event(r, arn) for r in streams.get_records(ShardIterator=iterator)["Records"]]}


def setup_flow_and_events(count):
    flows_table.save(flows.normalise({"name": "idem", "steps": [
        {"id": "s", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Dst", "name": "Do", "input": "{{ Event.Payload.n }}"}}]}))
    source = registry.register(packs.parse_registration({"name": "Src"}))
    destination = registry.register(packs.parse_registration({"name": "Dst"}))
    for n in range(count):
        pipeline.receive_event(source, "E", {"n": n}, None)
    return destination


def test_the_same_batch_twice_and_concurrently_creates_each_action_once(aws, template_app):
    destination = setup_flow_and_events(5)
    batch = stream_batch(aws, template_app)
    assert len(batch["Records"]) == 5
    matcher = FunctionRuntime(template_app.functions["StepMatcherFunction"])
    assert matcher.invoke(batch) == {"batchItemFailures": []}
    assert matcher.invoke(batch) == {"batchItemFailures": []}
    threads = [threading.Thread(target=matcher.invoke, args=(batch,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    actions = [a for a in ActionModel.scan() if a.recordType == "action"]
    assert sorted(a.input for a in actions) == ["0", "1", "2", "3", "4"]
    # Every delivery sent a message; each action is still taken exactly once.
    taken = []
    while (action := pipeline.take(destination, 0)) is not None:
        taken.append(action.input)
    assert sorted(taken) == ["0", "1", "2", "3", "4"]


def test_a_result_delivered_twice_continues_its_execution_once(aws, template_app):
    flows_table.save(flows.normalise({"name": "cont", "steps": [
        {"id": "a", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Dst", "name": "Do"}},
        {"id": "b", "dependsOn": ["a"], "event": {"packName": "Dst", "name": "Done"}, "command": {"packName": "Src", "name": "Next"}}]}))
    source = registry.register(packs.parse_registration({"name": "Src"}))
    destination = registry.register(packs.parse_registration({"name": "Dst"}))
    pipeline.receive_event(source, "E", {}, None)
    matcher = FunctionRuntime(template_app.functions["StepMatcherFunction"])
    matcher.invoke(stream_batch(aws, template_app))
    taken = pipeline.take(destination, 0)
    pipeline.complete(destination, taken.id, "Done", {}, None)
    batch = stream_batch(aws, template_app)  # the first event and the result
    matcher.invoke(batch)
    matcher.invoke(batch)
    records = actions_table.in_execution(taken.correlation_id)
    assert sorted(a.step_id for a in records) == ["a", "b"]
    assert pipeline.take(source, 0).name == "Next"
    assert pipeline.take(source, 0) is None


def test_a_refused_result_leaves_no_event_and_no_stream_record(aws, template_app):
    """The action's end and its result event are one transaction: when the end is refused, neither lands."""
    from flyte_core.domain import ids, times
    from flyte_core.domain.events import Event
    from flyte_core.adapters.models import EventModel

    destination = setup_flow_and_events(1)
    FunctionRuntime(template_app.functions["StepMatcherFunction"]).invoke(stream_batch(aws, template_app))
    taken = pipeline.take(destination, 0)
    pipeline.complete(destination, taken.id, "Done", {}, None)
    records_before = len(stream_batch(aws, template_app)["Records"])

    late = Event(id=ids.new_id(), name="Done", pack_id="Dst", pack_name="Dst", received_at=times.now(), action_id=taken.id)
    try:
        actions_table.finish(taken, late)  # `taken` still says PENDING; the table does not
        raise AssertionError("a finished action took a second result")
    except StateConflict:
        pass
    assert EventModel.count(late.id) == 0
    assert len(stream_batch(aws, template_app)["Records"]) == records_before
    assert actions_table.get(taken.id).result["event"] == "Done"
