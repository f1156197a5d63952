"""Schedules on the local stack (issue 22): saved over HTTP, fired by the stack at their second, their
events running flows like any pack's; the built-in Ticker running a flow written for flyte-ticker."""

import time
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.waits_on_the_clock]  # the built-in Ticker ticks on the minute: up to 60 s


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {timeout} s")


def test_a_one_time_schedule_fires_at_its_second_and_starts_a_flow(api, make_pack, post_flow):
    post_flow(
        {
            "name": "scheduled_report",
            "steps": [
                {
                    "id": "report",
                    "event": {"packName": "Schedule", "name": "report-once"},
                    "command": {
                        "packName": "Shell",
                        "name": "Shell",
                        "input": "report {{ Event.Payload.payload.kind }} for {{ Event.Payload.scheduledTime }}",
                    },
                }
            ],
        }
    )
    shell = make_pack("Shell")
    latencies = []
    for round, status in enumerate((201, 200)):  # created, then replaced by another time (the second: warm)
        at = (datetime.now(UTC) + timedelta(seconds=4)).replace(microsecond=0)
        response = api.put(
            api.base + "/v1/schedules/report-once",
            json={"expression": f"at({at:%Y-%m-%dT%H:%M:%S})", "timezone": "UTC", "payload": {"kind": f"weekly-{round}"}},
        )
        assert response.status_code == status, response.text
        assert response.json()["nextFireTimes"][0]["utc"] == f"{at:%Y-%m-%dT%H:%M:%S}Z"

        taken = shell.take_until(timeout=30)
        latencies.append(time.time() - at.timestamp())
        assert (taken.command, taken.input) == ("Shell", f"report weekly-{round} for {at:%Y-%m-%dT%H:%M:%S}Z")
        assert shell.post_result(taken, "Output", {}).status_code == 202
        events = api.get(api.base + "/v1/audit/events", params={"packName": "Schedule"}).json()["events"]
        (summary,) = [e for e in events if e["event"] == "report-once" and e["receivedAt"] >= f"{at:%Y-%m-%dT%H:%M:%S}"]
        event = api.get(api.base + f"/v1/audit/events/{summary['id']}").json()
        assert event["createdAt"] == f"{at:%Y-%m-%dT%H:%M:%S}Z"
        fired_after = datetime.fromisoformat(event["receivedAt"].replace("Z", "+00:00")) - at
        assert timedelta(0) <= fired_after < timedelta(seconds=2), fired_after  # at its second, not within its minute
    print(f"\nscheduled event -> action taken: {', '.join(f'{s:.2f} s' for s in latencies)}")
    assert api.delete(api.base + "/v1/schedules/report-once").status_code == 204


def test_the_built_in_ticker_runs_a_flow_written_for_flyte_ticker(api, make_pack, post_flow):
    """flyte-ticker's README flow, its criteria set to the coming minute's hour instead of 09."""
    coming = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    post_flow(
        {
            "name": "tick_demo",
            "description": "Demo echoing tick events to Slack room",
            "steps": [
                {
                    "id": "get_tick",
                    "event": {"packName": "Ticker", "name": "Tick"},
                    "criteria": "{{ Event.Payload.time | match: 'T" + f"{coming:%H}" + ":' }}",
                    "context": {"Time": "{{ Event.Payload.time }}"},
                    "command": {
                        "packName": "Slack",
                        "name": "SendMessage",
                        "input": {"channelId": "C0123", "message": "Good morning everyone! {{ Context.Time }}"},
                    },
                }
            ],
        }
    )
    slack = make_pack("Slack")
    assert api.get(api.base + "/v1/schedules/Ticker").json()["enabled"] is False  # off by default
    assert api.put(api.base + "/v1/schedules/Ticker", json={"enabled": True}).status_code == 201
    try:
        taken = slack.take_until(timeout=75)
        latency = time.time() - datetime.fromisoformat(taken.input["message"].split()[-1].replace("Z", "+00:00")).timestamp()
    finally:
        assert api.put(api.base + "/v1/schedules/Ticker", json={"enabled": False}).status_code == 200
    assert taken.command == "SendMessage"
    tick_time = taken.input["message"].split()[-1]
    assert tick_time.endswith(":00Z") and tick_time[11:13] == f"{coming:%H}"
    print(f"\nTick -> action taken: {latency:.2f} s")
