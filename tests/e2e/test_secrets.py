"""Secrets end to end (issue 24): a flow whose Shell command uses a secret runs on the local stack (the
program `python -m flyte_local`, its functions logging at DEBUG into a file) with the real Shell pack
program, which receives the value; then every table, every audit, trace, dry-run and replay answer and
the functions' logs of that run are searched for the value: none holds it. A pack outside the
secret's scope is refused, its action FATAL; the Shell pack's output, which echoes the value, is
stored masked."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from tests.e2e.conftest import PackClient
from tests.e2e.pack_programs import start_pack_program

pytestmark = pytest.mark.e2e

VALUE = "s3cr3t-9c4e1b7a2f6d0e58"
MASK = "«secret:deploy-token»"


def deploy_flow(name: str, out: Path, pack: str = "Shell") -> dict:
    return {
        "name": name,
        "steps": [
            {
                "id": "deploy",
                "event": {"packName": "Chat", "name": "Said"},
                "command": {
                    "packName": pack,
                    "name": "Shell",
                    "input": {
                        # env mode: the value reaches the script as $TOKEN, never as shell code
                        "script": f'printf %s "$TOKEN" > {out}; echo "deploying {{{{ Event.Payload.who }}}} with token=$TOKEN"',
                        "env": {"TOKEN": "{{ secret('deploy-token') }}"},
                    },
                },
            }
        ],
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def run(backend, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The local stack as a program over the session's moto, every function at LogLevel DEBUG, its
    output (the functions' logs included) in a file."""
    backend.reset()
    port = free_port()
    log = tmp_path_factory.mktemp("secrets") / "stack.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "flyte_local", "--aws-endpoint", backend.endpoint, "--parameter", "LogLevel=DEBUG"],
            env={**os.environ, "FLYTE_PORT": str(port), "FLYTE_LOCAL_LOG_LEVEL": "DEBUG"},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"{url}/health", timeout=(2, 30))  # listening at once; the first answer is a cold start
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        yield url, log
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)


def wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def finished_action(url: str, flow: str) -> dict | None:
    found = requests.get(f"{url}/v1/audit/flows", params={"flowName": flow}).json()["flows"]
    action = found[0]["actions"]["deploy"] if found else None
    return action if action and action["state"]["value"] in ("SUCCESS", "FATAL") else None


def test_a_shell_command_receives_the_secret_and_nothing_else_ever_holds_it(run, backend, tmp_path):
    url, log = run
    put = requests.put(
        f"{url}/v1/secrets/deploy-token",
        json={"value": VALUE, "description": "deploys", "scope": {"packs": ["Shell"], "flows": ["deploy"]}},
    )
    assert put.status_code == 201, put.text
    received = tmp_path / "received"
    for name in ("deploy", "elsewhere"):
        assert requests.post(f"{url}/v1/flows", json=deploy_flow(name, received)).status_code == 201
    assert requests.post(f"{url}/v1/flows", json=deploy_flow("other-pack", received, pack="Other")).status_code == 201
    bad = requests.post(
        f"{url}/v1/flows",
        json={
            **deploy_flow("leaky", received),
            "steps": [{**deploy_flow("x", received)["steps"][0], "criteria": "{{ secret('deploy-token') }}"}],
        },
    )
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")
    assert "only in a command's input" in bad.json()["detail"]

    # the real Shell pack program runs the "deploy" flow's command
    env = {**os.environ, "FLYTE_API": url, "FLYTE_PACK_POLL_WAIT": "1"}
    shell = start_pack_program(url, "flyte_shell_pack", "Shell", env)
    chat = PackClient(url, "Chat", commands=[{"name": "Reply", "events": ["Said"]}]).register()
    try:
        # event text that looks like the mask is only text
        chat.send_event("Said", {"who": MASK})
        action = wait_for(lambda: finished_action(url, "deploy"))
        elsewhere = wait_for(lambda: finished_action(url, "elsewhere"))
    finally:
        shell.terminate()
        shell.communicate(timeout=15)
    assert received.read_text() == VALUE  # the pack received the value, and only as $TOKEN
    assert action["state"]["value"] == "SUCCESS"
    assert action["result"]["payload"]["stdout"] == f"deploying {MASK} with token={MASK}\n"  # echoed: stored masked
    assert action["input"]["env"] == {"TOKEN": MASK}
    # the flow outside the secret's scope: the Shell pack got no command, the action is FATAL naming the secret
    assert elsewhere["state"]["value"] == "FATAL"
    assert "secret 'deploy-token' is limited to flows deploy" in elsewhere["result"]["payload"]

    # a pack outside the scope: its take is refused (403 naming the action), the action FATAL
    other = PackClient(url, "Other", commands=[{"name": "Shell", "events": ["Output"]}]).register()
    (refused,) = wait_for(lambda: (r := other.session.post(other.take_url, params={"wait": 1})).status_code == 403 and [r])
    problem = refused.json()
    assert "deploy-token" in problem["detail"] and VALUE not in refused.text and problem["actionId"]
    other_action = wait_for(lambda: finished_action(url, "other-pack"))
    assert other_action["state"]["value"] == "FATAL" and "limited to packs Shell" in other_action["result"]["payload"]

    # every read of the run: audit, traces, dry run, replay, the secrets API
    answers = []
    for flow in ("deploy", "elsewhere", "other-pack"):
        listing = requests.get(f"{url}/v1/audit/flows", params={"flowName": flow})
        answers.append(listing)
        for execution in listing.json()["flows"]:
            answers.append(requests.get(f"{url}/v1/audit/flows/{execution['correlationId']}"))
    events = requests.get(f"{url}/v1/audit/events")
    answers.append(events)
    answers += [requests.get(f"{url}/v1/audit/events/{e['id']}") for e in events.json()["events"]]
    dry_run = requests.post(
        f"{url}/v1/flows/test",
        json={"flow": deploy_flow("deploy", received), "event": {"packName": "Chat", "event": "Said", "payload": {"who": "x"}}},
    )
    assert dry_run.json()["steps"][0]["command"]["input"]["env"] == {"TOKEN": MASK}
    changed = deploy_flow("deploy", received)
    changed["steps"][0]["command"]["input"]["script"] += "; echo changed"
    replay = requests.post(f"{url}/v1/flows/replay", json={"flow": changed, "since": "P1D"})
    assert replay.status_code == 200 and MASK in replay.text
    answers += [dry_run, replay, requests.get(f"{url}/v1/secrets"), requests.get(f"{url}/v1/secrets/deploy-token")]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert VALUE not in answer.text, answer.url

    # every table, whole
    dynamodb = boto3.client("dynamodb", endpoint_url=backend.endpoint)
    tables = dynamodb.list_tables()["TableNames"]
    assert len(tables) >= 8
    for table in tables:
        items = dynamodb.scan(TableName=table)["Items"]
        assert VALUE not in json.dumps(items), table

    # the functions' logs of the run (DEBUG): they say secrets were handed out, never what
    logged = log.read_text()
    assert "secrets handed to a pack" in logged and "deploy-token" in logged
    assert VALUE not in logged
