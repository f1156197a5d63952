"""Issue 25 on the local stack: a run through the pipeline emits, in CloudWatch's embedded metric format,
every engine metric the dashboard and alarms in template.yaml read, with per-flow breakdowns.

The stack is the deployed default (built-in token issuer) with a 2-second lease and 2 attempts, so that
one flow run shows refusals, empty takes, a retry, an expiry, a FATAL, a success and a template failure."""

from __future__ import annotations

import time

import pytest
import requests

from flyte_core import observability, tokens
from flyte_local.application import physical_name
from flyte_local.metrics import figures
from flyte_local.stack import LocalStack
from tests.e2e.conftest import PackClient
from tests.operations import engine_metric_names

pytestmark = pytest.mark.e2e
LEASE = 2


@pytest.fixture(scope="module")
def stack(backend):
    backend.reset()
    overrides = {
        "ActionLeaseSeconds": str(LEASE),
        "ActionMaxAttempts": "2",
        "LogLevel": "WARNING",
        "BuiltInTokenIssuer": "true",
        "AllowAnonymousAccess": "false",
    }
    local = LocalStack(port=0, endpoint=backend.endpoint, parameter_overrides=overrides).start()
    yield local
    local.stop()


def bearer(capsys, monkeypatch, backend, *arguments: str) -> dict[str, str]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", backend.endpoint)
    assert tokens.main(["mint", "--secret-id", physical_name("TokenSecret"), *arguments]) == 0
    return {"Authorization": f"Bearer {capsys.readouterr().out.strip()}"}


def pack(stack, name: str, headers: dict[str, str]) -> PackClient:
    client = PackClient(stack.url, name)
    client.session.headers.update(headers)
    return client.register()


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {timeout} s")


def test_a_flow_run_emits_every_metric_the_dashboard_and_alarms_read(stack, backend, capsys, monkeypatch):
    admin = bearer(capsys, monkeypatch, backend, "--subject", "ana", "--claim", "flyte_role=admin", "--ttl", "1h")
    chat = pack(stack, "Chat", bearer(capsys, monkeypatch, backend, "--subject", "chat", "--pack", "Chat"))
    shell = pack(stack, "Shell", bearer(capsys, monkeypatch, backend, "--subject", "shell", "--pack", "Shell"))
    assert requests.get(f"{stack.url}/v1/flows").status_code == 401  # an auth refusal
    flow = {
        "name": "metered",
        "steps": [
            {
                "id": "run",
                "event": {"packName": "Chat", "name": "Said"},
                "command": {"packName": "Shell", "name": "Run", "input": "x"},
            },
            {
                "id": "broken",
                "event": {"packName": "Chat", "name": "Said"},
                "context": {"team": "{{ datastore('missing') }}"},
                "command": {"packName": "Shell", "name": "Run", "input": "y"},
            },
            {
                "id": "tell",
                "dependsOn": ["run"],
                "event": {"packName": "Shell", "name": "FATAL"},
                "command": {"packName": "Chat", "name": "Send", "input": "{{ Event.Payload }}"},
            },
        ],
    }
    assert requests.post(f"{stack.url}/v1/flows", json=flow, headers=admin).status_code == 201

    assert shell.take(wait=0) is None  # an empty take
    chat.send_event("Said", {"text": "go"})
    shell.take_until()  # taken, never answered
    shell.take_until(timeout=LEASE + 8)  # its lease ran out: a retry
    assert shell.take(wait=LEASE + 3) is None  # the last lease ran out: FATAL, which fires "tell"
    told = chat.take_until()
    assert chat.post_result(told, "Sent", {}).status_code == 202  # a success
    stack.fire_schedule("PackReaperFunction")  # counts actions pending past their lease

    wanted = engine_metric_names()
    wait_for(lambda: wanted <= stack.metrics.names(), what=f"EMF documents naming {sorted(wanted - stack.metrics.names())}")

    breakdown = {
        (name, dict(dimensions).get("flow"), dict(dimensions).get("reason"))
        for document in stack.metrics.documents
        for name, _, dimensions, _ in figures(document)
    }
    assert (observability.STEPS_FIRED, "metered", None) in breakdown
    assert (observability.STEPS_SKIPPED, "metered", "template") in breakdown
    assert (observability.TEMPLATE_FAILURES, "metered", None) in breakdown
    per_command = {
        (name, dict(dimensions).get("pack"), dict(dimensions).get("command"))
        for document in stack.metrics.documents
        for name, _, dimensions, _ in figures(document)
    }
    assert {(observability.ACTIONS_FATAL, "Shell", "Run"), (observability.ACTIONS_SUCCEEDED, "Chat", "Send")} <= per_command
    summary = stack.metrics.summary()
    print(summary)
    assert "ActionsFatal [command=Run, pack=Shell]: 1" in summary
    assert "LeaseExpiries: 1" in summary
