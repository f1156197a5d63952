"""Schedules (issue 22) through the real handlers over moto: /v1/schedules kept as EventBridge Scheduler
schedules in the stack's group, and firings stored as exactly one event per scheduled time."""

import json
from datetime import UTC, datetime, timedelta

from flyte_core.domain import times


def http(sample_event, method: str, path: str, body=None, query: str = "") -> dict:
    event = sample_event("schedules-put.json")
    route = "/v1/schedules/{name}" if path.count("/") == 3 and not path.endswith("/preview") else path
    event.update(
        routeKey=f"{method} {route}", rawPath=path, rawQueryString=query, body=json.dumps(body) if body is not None else None
    )
    event["requestContext"] = dict(
        event["requestContext"],
        routeKey=f"{method} {route}",
        http=dict(event["requestContext"]["http"], method=method, path=path),
    )
    event["pathParameters"] = {"name": path.rsplit("/", 1)[1]} if "{name}" in route else {}
    event["queryStringParameters"] = dict(part.split("=") for part in query.split("&")) if query else None
    return event


def call(invoke_handler, sample_event, method, path, body=None, query=""):
    response = invoke_handler("SchedulesFunction", http(sample_event, method, path, body, query))
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None, response


def stored_schedule(aws, template_app, name):
    group = template_app.schedule_groups[0]
    return aws.client("scheduler").get_schedule(Name=name, GroupName=group)


def firing(aws, template_app, name, at: datetime) -> dict:
    """What EventBridge Scheduler hands the firing function for this scheduled time."""
    text = stored_schedule(aws, template_app, name)["Target"]["Input"]
    return json.loads(text.replace("<aws.scheduler.scheduled-time>", times.format_time(at)))


def test_a_schedule_is_saved_in_the_stacks_group_as_eventbridge_will_run_it(invoke_handler, sample_event, aws, template_app):
    status, body, response = call(
        invoke_handler,
        sample_event,
        "PUT",
        "/v1/schedules/weekday-report",
        json.loads(sample_event("schedules-put.json")["body"]),
    )
    assert status == 201 and response["headers"]["Location"].endswith("/v1/schedules/weekday-report")
    assert body["event"] == {"packName": "Schedule", "name": "weekday-report"}
    assert len(body["nextFireTimes"]) == 5 and all(t["local"][11:16] == "09:00" for t in body["nextFireTimes"])
    stored = stored_schedule(aws, template_app, "weekday-report")
    assert stored["ScheduleExpression"] == "cron(0 9 ? * 2-6 *)"  # the Unix form, as EventBridge takes it
    assert stored["ScheduleExpressionTimezone"] == "Europe/London"
    assert stored["State"] == "ENABLED"
    assert stored["Target"]["RetryPolicy"]["MaximumEventAgeInSeconds"] == 300  # missed: skip
    assert stored["Target"]["Arn"].endswith(":function:ScheduleFireFunction")

    status, body, _ = call(invoke_handler, sample_event, "GET", "/v1/schedules/weekday-report", query="count=12")
    assert status == 200 and len(body["nextFireTimes"]) == 12 and body["payload"] == {"report": "daily"}
    status, body, _ = call(
        invoke_handler, sample_event, "PUT", "/v1/schedules/weekday-report", {"expression": "rate(2 hours)", "enabled": False}
    )
    assert status == 200 and body["enabled"] is False and body["nextFireTimes"] == []
    assert stored_schedule(aws, template_app, "weekday-report")["State"] == "DISABLED"

    status, listed, _ = call(invoke_handler, sample_event, "GET", "/v1/schedules")
    assert [(s["name"], s["enabled"]) for s in listed["schedules"]] == [("Ticker", False), ("weekday-report", False)]
    status, problem, _ = call(
        invoke_handler, sample_event, "POST", "/v1/schedules", {"name": "weekday-report", "expression": "rate(1 day)"}
    )
    assert status == 409 and "PUT" in problem["detail"]
    assert call(invoke_handler, sample_event, "DELETE", "/v1/schedules/weekday-report")[0] == 204
    assert call(invoke_handler, sample_event, "GET", "/v1/schedules/weekday-report")[0] == 404
    assert call(invoke_handler, sample_event, "DELETE", "/v1/schedules/weekday-report")[0] == 404


def test_a_bad_schedule_is_a_400_naming_the_field_and_nothing_is_saved(invoke_handler, sample_event, aws, template_app):
    for body, field in [
        ({"expression": "cron(0 9 * * * *)"}, "expression"),
        ({"expression": "rate(5 minutes)", "timezone": "Europe/Londn"}, "timezone"),
        ({"expression": "rate(5 minutes)", "missed": "later"}, "missed"),
    ]:
        status, problem, response = call(invoke_handler, sample_event, "PUT", "/v1/schedules/bad", body)
        assert status == 400 and response["headers"]["Content-Type"] == "application/problem+json"
        assert problem["field"] == field, problem
    assert call(invoke_handler, sample_event, "PUT", "/v1/schedules/bad%20name", {"expression": "rate(5 minutes)"})[0] == 400
    assert aws.client("scheduler").list_schedules(GroupName=template_app.schedule_groups[0])["Schedules"] == []


def test_preview_shows_fire_times_across_a_dst_change_without_saving(invoke_handler, sample_event, aws, template_app):
    status, body, _ = call(
        invoke_handler,
        sample_event,
        "POST",
        "/v1/schedules/preview",
        {"expression": "cron(30 1 * * ? *)", "timezone": "Europe/London", "count": 3},
    )
    assert status == 200 and len(body["nextFireTimes"]) == 3
    assert all(t["local"][11:16] == "01:30" for t in body["nextFireTimes"])
    assert aws.client("scheduler").list_schedules(GroupName=template_app.schedule_groups[0])["Schedules"] == []


def test_a_retried_invocation_stores_one_event_per_scheduled_time(invoke_handler, sample_event, aws, template_app, adapters):
    call(
        invoke_handler,
        sample_event,
        "PUT",
        "/v1/schedules/backup",
        {"expression": "cron(*/5 * * * ? *)", "payload": {"db": "main"}},
    )
    at = datetime.now(UTC).replace(second=0, microsecond=0)
    first = invoke_handler("ScheduleFireFunction", firing(aws, template_app, "backup", at))
    again = invoke_handler("ScheduleFireFunction", firing(aws, template_app, "backup", at))
    assert first["fired"] and again["eventId"] == first["eventId"]
    stored = list(adapters.events_table.newest_first("Schedule", None, 10))
    assert len(stored) == 1
    event = stored[0].event
    assert (event.pack_name, event.name, event.created_at) == ("Schedule", "backup", at)
    assert event.payload == {"schedule": "backup", "scheduledTime": times.format_time(at), "payload": {"db": "main"}}
    assert event.actor == {"iss": "urn:flyte:stack", "sub": "schedule-fire-function"}
    later = invoke_handler("ScheduleFireFunction", firing(aws, template_app, "backup", at + timedelta(minutes=5)))
    assert later["fired"] and later["eventId"] != first["eventId"]


def test_a_missed_time_is_skipped_or_fired_late_as_the_schedule_says(invoke_handler, sample_event, aws, template_app, adapters):
    late = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=20)
    call(invoke_handler, sample_event, "PUT", "/v1/schedules/skipper", {"expression": "rate(5 minutes)", "missed": "skip"})
    call(invoke_handler, sample_event, "PUT", "/v1/schedules/catcher", {"expression": "rate(5 minutes)", "missed": "fire"})
    assert invoke_handler("ScheduleFireFunction", firing(aws, template_app, "skipper", late)) == {"eventId": None, "fired": False}
    assert invoke_handler("ScheduleFireFunction", firing(aws, template_app, "catcher", late))["fired"]
    assert [s.event.name for s in adapters.events_table.newest_first("Schedule", None, 10)] == ["catcher"]


def test_the_built_in_ticker_is_off_until_enabled_then_emits_flyte_tickers_tick(
    invoke_handler, sample_event, aws, template_app, adapters
):
    status, ticker, _ = call(invoke_handler, sample_event, "GET", "/v1/schedules/Ticker")
    assert status == 200 and ticker["enabled"] is False and ticker["builtin"] is True
    status, ticker, _ = call(invoke_handler, sample_event, "PUT", "/v1/schedules/Ticker", {"enabled": True})
    assert status == 201 and ticker["event"] == {"packName": "Ticker", "name": "Tick"}
    assert stored_schedule(aws, template_app, "Ticker")["ScheduleExpression"] == "cron(* * * * ? *)"
    at = datetime.now(UTC).replace(second=0, microsecond=0)
    assert invoke_handler("ScheduleFireFunction", firing(aws, template_app, "Ticker", at))["fired"]
    (tick,) = adapters.events_table.newest_first("Ticker", None, 10)
    assert (tick.event.pack_name, tick.event.name, tick.event.payload) == ("Ticker", "Tick", {"time": times.format_time(at)})


def test_replay_and_dry_run_treat_a_schedules_event_like_any_other(invoke_handler, sample_event, aws, template_app, adapters):
    from flyte_core.services import explain

    call(
        invoke_handler,
        sample_event,
        "PUT",
        "/v1/schedules/nightly",
        {"expression": "cron(0 2 * * ? *)", "payload": {"db": "main"}},
    )
    at = datetime.now(UTC).replace(second=0, microsecond=0)
    fired = invoke_handler("ScheduleFireFunction", firing(aws, template_app, "nightly", at))
    flow = {
        "name": "backups",
        "steps": [
            {
                "id": "backup",
                "event": {"packName": "Schedule", "name": "nightly"},
                "criteria": "{{ Event.Payload.payload.db == 'main' }}",
                "command": {"packName": "Shell", "name": "Shell", "input": "backup {{ Event.Payload.payload.db }}"},
            }
        ],
    }
    replayed = explain.replay(adapters, {"flow": flow}, "http://localhost:8080/")
    assert fired["eventId"] in json.dumps(replayed)  # the stored firing is among the events replayed
    assert "backup main" in json.dumps(replayed)  # and the step would fire on it, rendered from its payload
    dry = explain.test_flow(
        adapters, {"flow": flow, "event": {"packName": "Schedule", "event": "nightly", "payload": {"payload": {"db": "main"}}}}
    )
    assert "backup main" in json.dumps(dry)
