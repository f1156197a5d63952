"""`flyte status` (issue 25) against the local stack: what an operator asks first, in one command."""

from __future__ import annotations

import json
import socket
import time

import pytest
import requests

from .conftest import run_flyte

pytestmark = pytest.mark.e2e


def wait_for(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def by_check(run) -> dict[str, dict]:
    return {check["check"]: check for check in json.loads(run.stdout)["checks"]}


def test_status_reports_health_auth_packs_waiting_actions_and_recent_failures(stack):
    url = stack.url
    flow = {
        "name": "status-flow",
        "steps": [
            {
                "id": "run",
                "event": {"packName": "Chat", "name": "Said"},
                "command": {"packName": "Shell", "name": "Run", "input": "x"},
            },
            {
                "id": "later",
                "event": {"packName": "Chat", "name": "Later"},
                "command": {"packName": "Shell", "name": "Run", "input": "y"},
            },
        ],
    }
    assert requests.post(f"{url}/v1/flows", json=flow, timeout=10).status_code == 201
    chat = requests.post(f"{url}/v1/packs", json={"name": "Chat"}, timeout=10).json()["id"]
    shell = requests.post(f"{url}/v1/packs", json={"name": "Shell"}, timeout=10).json()["id"]
    assert requests.post(f"{url}/v1/packs/{chat}/events", json={"event": "Said"}, timeout=10).status_code == 202

    def take():
        response = requests.post(f"{url}/v1/packs/{shell}/actions/take", params={"wait": 2}, timeout=10)
        return response.json() if response.status_code == 200 else None

    result = wait_for(take)["links"][0]["href"]
    assert requests.post(result, json={"event": "FATAL", "payload": "exit 1"}, timeout=10).status_code == 202
    assert requests.post(f"{url}/v1/packs/{chat}/events", json={"event": "Later"}, timeout=10).status_code == 202

    def reported():
        run = run_flyte(url, "status", "-o", "json")
        checks = by_check(run)
        done = "1 NEW" in checks.get("actions waiting", {}).get("detail", "")
        return (run, checks) if done and checks["recent failures"]["state"] == "warn" else None

    run, checks = wait_for(reported, timeout=20)
    assert run.code == 0
    assert [checks[name]["state"] for name in ("api", "health", "auth", "packs")] == ["ok", "ok", "ok", "ok"]
    assert checks["auth"]["detail"] == "no token needed to read"
    assert checks["packs"]["detail"] == "2 of 2 live"
    assert "status-flow/run (Run on Shell)" in checks["recent failures"]["detail"]


def test_status_of_an_api_that_is_not_there_fails_at_the_first_check():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    run = run_flyte(url, "status", "-o", "json")
    assert run.code == 1
    (check,) = json.loads(run.stdout)["checks"]
    assert check["check"] == "api" and check["state"] == "fail" and url in check["detail"]
