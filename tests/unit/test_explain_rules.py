"""Pure rules of explainability: test requests, replay windows, what counts as a changed outcome,
and upload warnings."""

from datetime import UTC, datetime, timedelta

import pytest

from flyte_core.domain import explain, flows
from flyte_core.domain.errors import InvalidInput
from flyte_core.domain.execution import StepOutcome
from flyte_core.domain.packs import Pack

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("P7D", NOW - timedelta(days=7)),
        ("PT6H", NOW - timedelta(hours=6)),
        ("P1W", NOW - timedelta(weeks=1)),
        ("p1dt30m", NOW - timedelta(days=1, minutes=30)),
        ("PT1.5S", NOW - timedelta(seconds=1.5)),
        ("2026-11-01T00:00:00Z", datetime(2026, 11, 1, tzinfo=UTC)),
    ],
)
def test_since_is_a_time_or_a_duration_back_from_now(text, expected):
    assert explain.parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["P", "PT", "7D", "yesterday", "", 5, None, "P99999999999D"])
def test_a_since_that_is_neither_is_refused_naming_the_field(text):
    with pytest.raises(InvalidInput) as refused:
        explain.parse_since(text, NOW)
    assert refused.value.extra["field"] == "since"


@pytest.mark.parametrize("limit, expected", [(None, 200), (1, 1), (1000, 1000)])
def test_replay_limit_defaults_to_200_and_allows_up_to_1000(limit, expected):
    assert explain.parse_replay_limit(limit) == expected


@pytest.mark.parametrize("limit", [0, 1001, "5", True, 2.5])
def test_other_replay_limits_are_refused(limit):
    with pytest.raises(InvalidInput):
        explain.parse_replay_limit(limit)


def test_a_test_request_builds_the_event_a_pack_would_send():
    test = explain.parse_test_input(
        {
            "event": {"packName": "Slack", "packLabels": {"env": "prod"}, "event": "Said", "payload": {"x": 1}},
            "states": {"a": "FATAL"},
            "context": {"k": "v"},
        }
    )
    assert (test.event.pack_id, test.event.pack_name, test.event.name, test.event.payload) == (
        "Slack.env.prod",
        "Slack",
        "Said",
        {"x": 1},
    )
    assert (test.states, test.context) == ({"a": "FATAL"}, {"k": "v"})


def fired(step_id, input_="x"):
    return StepOutcome(step_id, "fired", command={"packName": "P", "name": "C", "packLabels": {}, "input": input_})


def skipped(step_id, reason):
    return StepOutcome(step_id, "skipped", reason, "detail")


def test_a_change_is_a_step_that_fires_in_one_version_only_or_fires_another_command():
    before = [
        skipped("a", "criteria"),
        fired("b"),
        fired("c", "old"),
        skipped("gone", "dependsOn"),
        skipped("d", "criteria"),
        fired("e"),
    ]
    after = [
        fired("a"),
        fired("b"),
        fired("c", "new"),
        skipped("new", "criteria"),
        skipped("d", "template"),
        skipped("e", "template"),
    ]
    assert [
        (c["stepId"], c["before"] and c["before"]["outcome"], c["after"] and c["after"]["outcome"])
        for c in explain.changes("e1", before, after)
    ] == [("a", "skipped", "fired"), ("c", "fired", "fired"), ("e", "fired", "skipped")]
    (removed,) = explain.changes("e1", [fired("removed")], [])
    assert removed["after"] is None and removed["before"]["outcome"] == "fired"
    (added,) = explain.changes("e1", [], [fired("added"), skipped("quiet", "criteria")])
    assert added["before"] is None and added["stepId"] == "added"


def pack(name, commands=(), events=()):
    return Pack(
        id=name,
        name=name,
        commands=[{"name": c, "events": list(e), "links": []} for c, e in commands],
        events=[{"name": e, "links": []} for e in events],
    )


def test_upload_warnings_name_events_and_commands_no_registered_pack_offers():
    flow = flows.normalise(
        {
            "name": "f",
            "steps": [
                {
                    "id": "a",
                    "event": {"packName": "Slack", "name": "ReceivedMessage"},
                    "command": {"packName": "Shell", "name": "Shell"},
                },
                {"id": "b", "event": {"packName": "Shell", "name": "Output"}, "command": {"packName": "Slack", "name": "Send"}},
                {"id": "c", "event": {"packName": "Shell", "name": "FATAL"}, "command": {"packName": "Nobody", "name": "X"}},
            ],
        }
    )
    registered = {
        "Slack": [pack("Slack", [("SendMessage", ["MessageSent"])], ["ReceivedMessage"])],
        "Shell": [pack("Shell", [("Shell", ["Output", "Error"])])],
    }
    warnings = flows.upload_warnings(flow, registered)
    assert [(w["stepId"], w["field"]) for w in warnings] == [("b", "steps[1].command.name"), ("c", "steps[2].command.packName")]
    assert "'SendMessage'" in warnings[0]["detail"]
    assert (
        flows.upload_warnings(
            flow,
            {
                **registered,
                "Nobody": [pack("Nobody", [("X", [])])],
                "Slack": [*registered["Slack"], pack("Slack", [("Send", [])])],
            },
        )
        == []
    )


def test_a_replay_cuts_large_inputs_linking_the_trace_and_keeps_within_one_response():
    from flyte_core.domain.events import Event
    from flyte_core.domain.templating import parse_bool, render

    flow = flows.normalise(
        {
            "name": "big",
            "steps": [
                {
                    "id": "a",
                    "event": {"packName": "P", "name": "E"},
                    "command": {"packName": "Q", "name": "C", "input": "{{ Event.Payload }}"},
                }
            ],
        }
    )
    events = [Event(id=f"e{n}", name="E", pack_id="P", pack_name="P", payload="x" * 20_000, received_at=NOW) for n in range(120)]
    answer = explain.replay(flow, None, events, render, parse_bool, "http://h/")
    first = answer["changes"][0]["after"]["command"]["input"]
    assert first == {"truncated": True, "bytes": 20_002, "href": "http://h/v1/audit/events/e0"}
    assert answer["eventsConsidered"] == 120 and "changesNotShown" not in answer
