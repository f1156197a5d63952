"""Issue 25: the dashboard and alarms in template.yaml read metrics the code names, notify the optional
SNS topic, and take their thresholds from parameters."""

from __future__ import annotations

from flyte_core import observability
from tests.operations import alarm_metric_names, dashboard_body, dashboard_metric_names, template

THRESHOLD_PARAMETERS = {
    "Api5xxRateAlarm": "Api5xxRatePercent",
    "MatcherIteratorAgeAlarm": "MatcherIteratorAgeSeconds",
    "ActionsFatalAlarm": "FatalActionsPerFiveMinutes",
    "ActionsPendingPastLeaseAlarm": "ActionsPendingPastLeaseThreshold",
}


def test_the_dashboard_is_valid_json_and_shows_only_metrics_the_engine_names():
    body = dashboard_body(template()["Resources"])
    shown = dashboard_metric_names(body)
    assert shown, "the dashboard shows no engine metric"
    assert shown <= set(observability.EVERY_METRIC), (
        f"not named in flyte_core.observability: {shown - set(observability.EVERY_METRIC)}"
    )
    assert all(widget["type"] in ("metric", "text", "alarm") for widget in body["widgets"])


def test_the_dashboard_shows_the_issue_s_figures():
    shown = dashboard_metric_names(dashboard_body(template()["Resources"]))
    wanted = {
        observability.EVENTS_RECEIVED,
        observability.STEPS_FIRED,
        observability.STEPS_SKIPPED,
        observability.ACTIONS_SUCCEEDED,
        observability.ACTIONS_FATAL,
        observability.EVENT_TO_ACTION_MS,
        observability.ACTION_TO_RESULT_MS,
        observability.TAKES_EMPTY,
        observability.LEASE_EXPIRIES,
        observability.TEMPLATE_FAILURES,
        observability.AUTH_REFUSALS,
        observability.TAKE_PARKED_SECONDS,
        observability.STREAM_RECORDS,
    }
    assert wanted <= shown, f"missing from the dashboard: {wanted - shown}"


def test_the_dashboard_shows_the_aws_figures_of_the_stack():
    body = dashboard_body(template()["Resources"])
    rows = [str(row) for widget in body["widgets"] for row in widget.get("properties", {}).get("metrics", [])]
    for needle in (
        "'4xx'",
        "'5xx'",
        "'Latency'",
        '"Errors"',
        '"Throttles"',
        '"Duration"',
        "'IteratorAge'",
        '"ThrottledRequests"',
        "'ApproximateNumberOfMessagesVisible'",
        '"ConsumedWriteCapacityUnits"',
    ):
        assert any(needle in row for row in rows), f"no dashboard row shows {needle}"


def test_every_alarm_notifies_the_optional_topic_and_reads_its_threshold_parameter():
    document = template()
    resources = document["Resources"]
    alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert set(THRESHOLD_PARAMETERS) <= set(alarms)
    for name, properties in alarms.items():
        assert properties["AlarmActions"] == {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}, (
            name
        )
    for name, parameter in THRESHOLD_PARAMETERS.items():
        assert alarms[name]["Threshold"] == {"Ref": parameter}
        assert parameter in document["Parameters"]
    assert alarm_metric_names(resources) <= set(observability.EVERY_METRIC)


def test_the_dimension_cap_is_a_parameter_every_function_reads():
    document = template()
    variables = document["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["FLYTE_METRICS_DIMENSION_CAP"] == {"Ref": "MetricsDimensionCap"}
