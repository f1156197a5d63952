"""`flyte hooks ...` against the local stack, as a user runs it (issue 22)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.webhook_senders import signed_headers

from .conftest import run_flyte

pytestmark = pytest.mark.e2e
PUSH = (Path(__file__).resolve().parents[1] / "fixtures" / "webhooks" / "github-push.json").read_bytes()


def shown(run) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in run.stdout.splitlines() if ": " in line)


def test_hooks_create_list_rotate_delete(stack):
    created = run_flyte(stack.url, "hooks", "create", "deploys", "--scheme", "github", "-d", "deployments")
    assert created.code == 0, created.stderr
    first = shown(created)
    assert first["url"] == f"{stack.url}/v1/hooks/deploys" and len(first["secret"]) >= 32
    assert "shown this once" in created.stdout + created.stderr
    assert (
        requests.post(first["url"], data=PUSH, headers=signed_headers("github", first["secret"], PUSH), timeout=10).status_code
        == 202
    )

    listed = json.loads(run_flyte(stack.url, "hooks", "list", "-o", "json").stdout)
    assert [(h["name"], h["scheme"], "secret" in h) for h in listed["hooks"]] == [("deploys", "github", False)]

    rotated = shown(run_flyte(stack.url, "hooks", "rotate", "deploys"))
    assert rotated["secret"] != first["secret"]
    assert (
        requests.post(first["url"], data=PUSH, headers=signed_headers("github", first["secret"], PUSH), timeout=10).status_code
        == 401
    )
    own = shown(run_flyte(stack.url, "hooks", "rotate", "deploys", "--secret", "an-admin-chosen-secret"))
    assert own["secret"] == "an-admin-chosen-secret"

    bad = run_flyte(stack.url, "hooks", "create", "x", "--scheme", "svn")
    assert bad.code == 1 and "scheme" in bad.stderr
    assert run_flyte(stack.url, "hooks", "delete", "deploys").code == 0
    assert (
        requests.post(first["url"], data=PUSH, headers=signed_headers("github", own["secret"], PUSH), timeout=10).status_code
        == 404
    )
