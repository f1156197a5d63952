"""`flyte schedules ...` against the local stack, as a user runs it (issue 22)."""

from __future__ import annotations

import json

import pytest
import yaml

from .conftest import run_flyte

pytestmark = pytest.mark.e2e

SCHEDULES = [
    {"name": "weekday-standup", "expression": "cron(0 9 * * 1-5)", "timezone": "Europe/London", "payload": {"room": "ops"}},
    {"name": "hourly-sync", "expression": "rate(1 hour)", "enabled": False},
]


def test_schedules_apply_list_get_preview_delete(stack, tmp_path):
    file = tmp_path / "schedules.yaml"
    file.write_text(yaml.safe_dump(SCHEDULES), encoding="utf-8")
    applied = run_flyte(stack.url, "schedules", "apply", str(file))
    assert applied.code == 0, applied.stderr
    assert "Schedule weekday-standup created, next " in applied.stderr + applied.stdout
    assert "Schedule hourly-sync created (fires no more)" in applied.stderr + applied.stdout
    again = run_flyte(stack.url, "schedules", "apply", str(file))
    assert "weekday-standup replaced" in again.stderr + again.stdout

    listed = json.loads(run_flyte(stack.url, "schedules", "list", "-o", "json").stdout)
    assert [(s["name"], s["enabled"]) for s in listed["schedules"]] == [
        ("Ticker", False),
        ("hourly-sync", False),
        ("weekday-standup", True),
    ]
    shown = json.loads(run_flyte(stack.url, "schedules", "get", "weekday-standup", "-n", "7", "-o", "json").stdout)
    assert len(shown["nextFireTimes"]) == 7 and all(t["local"][11:16] == "09:00" for t in shown["nextFireTimes"])
    table = run_flyte(stack.url, "schedules", "get", "weekday-standup", "-o", "table")
    assert "Next fire times" in table.stdout and "Schedule/weekday-standup" in table.stdout

    preview = json.loads(run_flyte(stack.url, "schedules", "preview", "cron(0 0 L * ? *)", "-n", "3", "-o", "json").stdout)
    assert [t["utc"][8:10] in ("28", "29", "30", "31") for t in preview["nextFireTimes"]] == [True, True, True]
    bad = run_flyte(stack.url, "schedules", "preview", "cron(0 9 * * * *)")
    assert bad.code == 1 and "day-of-month" in bad.stderr

    assert run_flyte(stack.url, "schedules", "delete", "hourly-sync").code == 0
    gone = run_flyte(stack.url, "schedules", "get", "hourly-sync")
    assert gone.code == 1 and "hourly-sync" in gone.stderr
    assert run_flyte(stack.url, "schedules", "delete", "weekday-standup").code == 0
