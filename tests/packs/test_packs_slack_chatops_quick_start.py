"""The chat-ops quick start (issue 27) as a team runs it: a stack with tokens required, the Slack pack
over Socket Mode and the Shell pack as programs, each with a token bound to its pack, the example
identities and flow (`flyte restart <service>` for the sre group, one approval from another member).
Alice asks, Bob approves in the thread, the Shell pack restarts, the answer lands in the thread; Eve
is refused; Alice may not approve her own request."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import requests

from flyte_core import tokens
from flyte_local.application import physical_name
from tests.e2e.pack_programs import start_pack_program, stop_pack_program
from tests.packs.fake_slack import FakeSlack, fake_slack, slack_user  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
IDENTITIES = (EXAMPLES / "chat-identities.yaml").read_bytes()


@pytest.fixture(scope="module")
def url(secure_stack):
    return secure_stack.url


def mint(backend, monkeypatch, capsys, *arguments: str) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", backend.endpoint)
    assert tokens.main(["mint", "--secret-id", physical_name("TokenSecret"), "--ttl", "1h", *arguments]) == 0
    return capsys.readouterr().out.strip()


@pytest.fixture
def team(url, backend, monkeypatch, capsys, fake_slack: FakeSlack, tmp_path):
    """The admin stores the identities and the flow; the two packs run with their own tokens."""
    admin = {"Authorization": f"Bearer {mint(backend, monkeypatch, capsys, '--subject', 'admin', '--claim', 'flyte_role=admin')}"}
    stored = requests.put(
        f"{url}/v1/datastore/chat-identities", files={"value": ("v", IDENTITIES, "application/x-yaml")}, headers=admin
    )
    assert stored.status_code in (201, 204), stored.text
    flow = (EXAMPLES / "restart-service.flow.yaml").read_bytes()
    posted = requests.post(f"{url}/v1/flows", data=flow, headers={**admin, "content-type": "application/x-yaml"})
    assert posted.status_code == 201, posted.text
    fake_slack.add_channel("C0OPS", "ops")
    for user_id, name, email in (
        ("U0ALICE", "alice", ""),
        ("U0BOB", "bob", "bob@example.com"),
        ("U0EVE", "eve", "eve@example.com"),
    ):
        fake_slack.users[user_id] = slack_user(user_id, name, email)
    common = {**os.environ, "FLYTE_API": url, "FLYTE_PACK_POLL_WAIT": "1", "LOGLEVEL": "info"}
    shell_token = mint(backend, monkeypatch, capsys, "--pack", "Shell", "--subject", "shell-host")
    slack_token = mint(backend, monkeypatch, capsys, "--pack", "Slack", "--subject", "slack-host")
    shell = start_pack_program(url, "flyte_shell_pack", "Shell", {**common, "FLYTE_JWT": shell_token}, admin)
    slack = start_pack_program(
        url,
        "flyte_slack_pack",
        "Slack",
        {
            **common,
            "FLYTE_JWT": slack_token,
            "FLYTE_SLACK_TOKEN": "xoxb-e2e",
            "FLYTE_SLACK_APP_TOKEN": "xapp-e2e",
            "FLYTE_SLACK_API_URL": fake_slack.api_url,
        },
        admin,
    )
    assert fake_slack.wait_connected(), "no Socket Mode connection"
    yield admin
    stop_pack_program(slack, timeout=30)
    stop_pack_program(shell, timeout=15)


def say(fake_slack: FakeSlack, user: str, text: str, ts: str) -> None:
    assert fake_slack.wait_ack(
        fake_slack.push_event({"type": "message", "channel": "C0OPS", "user": user, "text": text, "ts": ts})
    )


def in_thread(fake_slack: FakeSlack, ts: str, predicate) -> dict:
    found: list[dict] = []

    def seen() -> bool:
        found[:] = [p for p in fake_slack.posted if p.get("thread_ts") == ts and predicate(p)]
        return bool(found)

    assert fake_slack.wait_for(seen, timeout=60), f"no such message in thread {ts}: {fake_slack.posted}"
    return found[0]


def click(fake_slack: FakeSlack, user: str, action_id: str, ts: str) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": "C0OPS"},
        "message": {"ts": "1800000000.000009", "thread_ts": ts},
        "actions": [{"action_id": "flyte.approve", "block_id": "b", "value": action_id, "action_ts": "1.1"}],
    }
    assert fake_slack.wait_ack(fake_slack.push_interaction(payload))


def test_restart_for_sre_with_one_approval_from_another_member(team, fake_slack):
    say(fake_slack, "U0ALICE", "flyte restart api", "1700000000.000100")
    question = in_thread(fake_slack, "1700000000.000100", lambda p: bool(p.get("blocks")))
    blocks = json.loads(question["blocks"]) if isinstance(question["blocks"], str) else question["blocks"]
    action_id = blocks[1]["elements"][0]["value"]
    assert "*Shell.Shell*" in question["text"] and '"SERVICE": "api"' in question["text"]

    click(fake_slack, "U0ALICE", action_id, "1700000000.000100")  # her own request: refused
    in_thread(fake_slack, "1700000000.000100", lambda p: "your answer does not count (the requester" in p.get("text", ""))
    click(fake_slack, "U0BOB", action_id, "1700000000.000100")  # another sre (by his verified email)
    done = in_thread(fake_slack, "1700000000.000100", lambda p: p.get("text") == "restarting api\napi restarted\n")
    assert done["channel"] == "C0OPS"


def test_someone_outside_sre_is_told_no(team, fake_slack):
    say(fake_slack, "U0EVE", "flyte restart api", "1700000000.000200")
    refused = in_thread(fake_slack, "1700000000.000200", lambda p: "only the sre group" in p.get("text", ""))
    assert refused["text"] == "Sorry <@U0EVE>, only the sre group may restart services."
    assert not any(p.get("blocks") for p in fake_slack.posted if p.get("thread_ts") == "1700000000.000200")
