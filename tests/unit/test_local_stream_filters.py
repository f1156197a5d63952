"""The local stack honours a stream mapping's FilterCriteria, as Lambda does: the trace the step
matcher writes back onto an event (a MODIFY record) never invokes the matcher again."""

from flyte_local.event_sources import matches


def test_patterns_match_equality_lists_and_nested_objects():
    assert matches({"eventName": ["INSERT"]}, {"eventName": "INSERT", "dynamodb": {}})
    assert not matches({"eventName": ["INSERT"]}, {"eventName": "MODIFY"})
    assert matches({"dynamodb": {"NewImage": {"name": {"S": ["E"]}}}}, {"dynamodb": {"NewImage": {"name": {"S": "E"}}}})
    assert not matches({"dynamodb": {"NewImage": {"name": {"S": ["E"]}}}}, {"dynamodb": {}})


def test_the_step_matcher_receives_only_new_events(template_app):
    (source,) = [s for s in template_app.streams if s.function == "StepMatcherFunction"]
    assert any(matches(f, {"eventName": "INSERT"}) for f in source.filters)
    assert not any(matches(f, {"eventName": "MODIFY"}) for f in source.filters)
    assert not any(matches(f, {"eventName": "REMOVE"}) for f in source.filters)  # TTL expiry
