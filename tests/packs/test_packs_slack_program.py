"""The Slack pack as a program and as a Slack app: start-up failures, the graceful stop, and an app
manifest that grants what the pack uses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.packs.fake_slack import FakeSlack, fake_slack  # noqa: F401 (fixture)

MANIFEST = Path(__file__).resolve().parents[2] / "packs" / "slack" / "manifest.yaml"


def run_program(env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flyte_slack_pack"], env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout
    )


def test_missing_tokens_stop_the_program_with_a_message():
    done = run_program({"FLYTE_API": "http://127.0.0.1:9", "FLYTE_SLACK_TOKEN": "", "FLYTE_SLACK_APP_TOKEN": ""})
    assert done.returncode == 2
    assert "FLYTE_SLACK_TOKEN environment variable is not set" in done.stderr


def test_a_bot_token_slack_refuses_stops_the_program(fake_slack: FakeSlack):
    fake_slack.script("auth.test", 200, {"ok": False, "error": "invalid_auth"})
    done = run_program(
        {
            "FLYTE_API": "http://127.0.0.1:9",
            "FLYTE_SLACK_TOKEN": "xoxb-revoked",
            "FLYTE_SLACK_APP_TOKEN": "xapp-1",
            "FLYTE_SLACK_API_URL": fake_slack.api_url,
        }
    )
    assert done.returncode == 2
    assert "invalid_auth" in done.stderr


def test_an_app_token_slack_refuses_stops_the_program(fake_api, fake_slack: FakeSlack):
    fake_slack.script("apps.connections.open", 200, {"ok": False, "error": "invalid_auth"})
    done = run_program(
        {
            "FLYTE_API": fake_api.url,
            "FLYTE_SLACK_TOKEN": "xoxb-1",
            "FLYTE_SLACK_APP_TOKEN": "xapp-wrong",
            "FLYTE_SLACK_API_URL": fake_slack.api_url,
            "FLYTE_PACK_POLL_WAIT": "1",
        }
    )
    assert done.returncode == 2, done.stderr
    assert "cannot connect to Slack over Socket Mode (check FLYTE_SLACK_APP_TOKEN): invalid_auth" in done.stderr


def test_sigterm_stops_gracefully_and_closes_the_slack_connection(fake_api, fake_slack: FakeSlack):
    env = {
        **os.environ,
        "FLYTE_API": fake_api.url,
        "FLYTE_SLACK_TOKEN": "xoxb-1",
        "FLYTE_SLACK_APP_TOKEN": "xapp-1",
        "FLYTE_SLACK_API_URL": fake_slack.api_url,
        "FLYTE_PACK_POLL_WAIT": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "flyte_slack_pack"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert fake_api.wait_for(lambda: fake_api.registrations, timeout=30)
        assert fake_slack.wait_connected(timeout=30)
        assert fake_slack.calls_of("apps.connections.open")[0].token == "xapp-1"  # the app-level token
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert time.monotonic() - started < 15
    assert fake_slack.wait_for(lambda: not fake_slack._sockets, timeout=5), "Socket Mode connection left open"
    assert "stopping gracefully" in output


# -- the app manifest --------------------------------------------------------------------------

# Every Web API method the pack calls with the bot token, and the scope Slack requires for it.
SCOPES_OF_METHODS = {"users.info": "users:read", "chat.postMessage": "chat:write", "conversations.list": "channels:read"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_manifest_enables_socket_mode_and_the_events_the_pack_turns_into_flyte_events(manifest):
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert {"message.channels", "message.groups", "message.im", "message.mpim", "reaction_added"} <= set(
        settings["event_subscriptions"]["bot_events"]
    )


def test_manifest_grants_the_scopes_of_every_call_and_event(manifest):
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert set(SCOPES_OF_METHODS.values()) <= scopes
    assert {"users:read.email", "reactions:read", "channels:history", "groups:history", "im:history", "mpim:history"} <= scopes


def test_the_events_api_manifest_asks_the_same_of_slack_over_the_stacks_request_url(manifest):
    """packs/slack/manifest-events-api.yaml (issue 20): the same scopes and events, no Socket Mode,
    Slack's requests (events and interactivity) to the stack's SlackRequestUrl."""
    events_api = yaml.safe_load((MANIFEST.parent / "manifest-events-api.yaml").read_text(encoding="utf-8"))
    settings = events_api["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["event_subscriptions"]["request_url"] == settings["interactivity"]["request_url"] == "<SlackRequestUrl>"
    assert settings["interactivity"]["is_enabled"] is True and manifest["settings"]["interactivity"]["is_enabled"] is True
    assert settings["event_subscriptions"]["bot_events"] == manifest["settings"]["event_subscriptions"]["bot_events"]
    assert events_api["oauth_config"] == manifest["oauth_config"]
