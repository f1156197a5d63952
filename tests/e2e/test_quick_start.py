"""The quick start, end to end on the local stack: a chat message `flyte uk-bank-holidays` makes the
Shell pack run the flow's exact command, and its output comes back to the chat channel.

The flow is the seed's YAML file, posted with the seed's curl command. The Shell pack runs as a
separate program, as a user starts it; a stand-in `curl` first on its PATH serves a gov.uk fixture
(there is no internet here), and the real `jq` processes it. The chat side is played twice: by a
pack written with the Python SDK, and by the exact call sequence of the Go flyte-client.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from flyte_pack import Command, Event, EventDef, Pack
from tests.e2e.pack_programs import start_pack_program, stop_pack_program

pytestmark = pytest.mark.e2e
FLOW = Path(__file__).resolve().parents[2] / "examples" / "uk-bank-holidays.flow.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
YEAR = datetime.now().year  # the flow's own `date +"%Y"`


def bank_holidays(tmp_path: Path) -> Path:
    """gov.uk's shape, with holidays this year and last year (only this year's may be listed)."""
    events = [
        {"title": "New Year’s Day", "date": f"{YEAR}-01-01", "notes": "", "bunting": True},
        {"title": "Good Friday", "date": f"{YEAR}-04-18", "notes": "", "bunting": False},
        {"title": "Christmas Day", "date": f"{YEAR}-12-25", "notes": "", "bunting": True},
        {"title": "Boxing Day", "date": f"{YEAR - 1}-12-26", "notes": "", "bunting": True},
    ]
    path = tmp_path / "england-and-wales.json"
    path.write_text(json.dumps({"division": "england-and-wales", "events": events}), encoding="utf-8")
    return path


EXPECTED_LIST = f"{YEAR}-01-01 - New Year’s Day\n{YEAR}-04-18 - Good Friday\n{YEAR}-12-25 - Christmas Day\n"


@pytest.fixture
def flow_posted(stack):
    """`curl -v -X POST http://localhost:8080/v1/flows -H 'content-type: application/x-yaml' -T flow.yaml`"""
    curl = shutil.which("curl")
    if curl:
        done = subprocess.run(
            [
                curl,
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-X",
                "POST",
                f"{stack.url}/v1/flows",
                "-H",
                "content-type: application/x-yaml",
                "-T",
                str(FLOW),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.stdout == "201", done.stderr
    else:  # the same request without curl
        response = requests.post(f"{stack.url}/v1/flows", data=FLOW.read_bytes(), headers={"content-type": "application/x-yaml"})
        assert response.status_code == 201


def start_shell_pack(stack, tmp_path, **extra_env: str):
    """`FLYTE_API=http://localhost:8080 python -m flyte_shell_pack`, with the curl stand-in first on PATH."""
    assert shutil.which("jq"), "jq is part of the project's setup (make test installs it)"
    env = {
        **os.environ,
        "FLYTE_API": stack.url,
        "PATH": f"{FIXTURES}{os.pathsep}{os.environ['PATH']}",
        "BANK_HOLIDAYS_FIXTURE": str(bank_holidays(tmp_path)),
        "FLYTE_PACK_POLL_WAIT": "1",
        "LOGLEVEL": "info",
        **extra_env,
    }
    process = start_pack_program(stack.url, "flyte_shell_pack", "Shell", env)
    yield process
    stop_pack_program(process, timeout=15)


@pytest.fixture
def shell_pack(stack, tmp_path):
    yield from start_shell_pack(stack, tmp_path)


@pytest.fixture
def offline_shell_pack(stack, tmp_path):
    """The Shell pack on a machine without internet: curl cannot resolve gov.uk."""
    yield from start_shell_pack(stack, tmp_path, CURL_STAND_IN_OFFLINE="1")


def slack_message(text: str) -> dict:
    """ReceivedMessage as the Slack pack sends it (api-contract §12.3)."""
    return {
        "channelId": "C0123",
        "user": {"id": "U42", "name": "ana", "email": "ana@example.com", "title": "", "firstName": "Ana", "lastName": "B"},
        "message": text,
        "timestamp": "1700000000.000200",
        "threadTimestamp": "1700000000.000100",
        "replyCount": 0,
        "replies": [],
    }


def assert_reply(reply: dict) -> None:
    assert reply["channelId"] == "C0123"
    assert reply["threadTimestamp"] == "1700000000.000100"
    assert reply["message"] == ("Hey <@U42>!\nPlease find below the UK bank holidays for the current year:\n\n" + EXPECTED_LIST)


def slack_pack(stack, replies: queue.Queue) -> Pack:
    def send_message(input):
        replies.put(input)
        return Event("MessageSent", {"message": input["message"], "threadTimestamp": "", "channelId": input["channelId"]})

    return Pack(
        "Slack",
        commands=[Command("SendMessage", handler=send_message, output_events=["MessageSent", "SendMessageFailed"])],
        events=[EventDef("ReceivedMessage")],
        api_url=stack.url,
        poll_wait=1,
    )


def test_quick_start_with_a_python_chat_pack(stack, flow_posted, shell_pack):
    replies: queue.Queue = queue.Queue()
    slack = slack_pack(stack, replies)
    slack.start(block=False)
    try:
        assert slack.wait_registered(10)
        slack.send_event(Event("ReceivedMessage", slack_message("flyte uk-bank-holidays")))
        assert_reply(replies.get(timeout=30))
        slack.send_event(Event("ReceivedMessage", slack_message("flyte something else")))
        with pytest.raises(queue.Empty):
            replies.get(timeout=3)  # criteria false: nothing runs
    finally:
        slack.stop(timeout=15)

    (execution,) = [
        e
        for e in requests.get(f"{stack.url}/v1/audit/flows", params={"flowName": "next_uk_bank_holidays"}).json()["flows"]
        if e["actions"]["receive_uk_bank_holiday_message_send_response"]["state"]["value"] == "SUCCESS"
    ][:1]
    shell_action = execution["actions"]["receive_uk_bank_holiday_message_send_response"]
    assert shell_action["input"] == FLOW_COMMAND
    assert shell_action["result"]["payload"]["exit_code"] == 0


def test_without_internet_the_reply_comes_with_an_empty_list(stack, flow_posted, offline_shell_pack):
    """What the README says happens offline: `curl -s ... | jq` exits 0 (a pipeline's status is its last
    command's), so the second step's criteria holds and the reply lists nothing."""
    replies: queue.Queue = queue.Queue()
    slack = slack_pack(stack, replies)
    slack.start(block=False)
    try:
        assert slack.wait_registered(10)
        slack.send_event(Event("ReceivedMessage", slack_message("flyte uk-bank-holidays")))
        reply = replies.get(timeout=30)
    finally:
        slack.stop(timeout=15)
    assert reply["message"] == "Hey <@U42>!\nPlease find below the UK bank holidays for the current year:\n\n"
    executions = requests.get(f"{stack.url}/v1/audit/flows", params={"flowName": "next_uk_bank_holidays"}).json()["flows"]
    shell_results = [
        e["actions"]["receive_uk_bank_holiday_message_send_response"]["result"]["payload"]
        for e in executions
        if e["actions"]["receive_uk_bank_holiday_message_send_response"]["state"]["value"] == "SUCCESS"
    ]
    assert {"exit_code": 0, "stdout": "", "stderr": ""}.items() <= shell_results[0].items()  # curl -s says nothing


FLOW_COMMAND = (
    'curl -s https://www.gov.uk/bank-holidays/england-and-wales.json | jq --arg after $(date +"%Y") '
    "--raw-output -c '.events[] | select(.date | startswith($after)) | \"\\(.date) - \\(.title)\"'"
)


def test_quick_start_with_the_go_flyte_client_call_sequence(stack, flow_posted, shell_pack):
    """api-contract §12.1, step by step, as an unchanged flyte-client pack (the Slack pack) makes its calls."""
    http = requests.Session()
    api = f"{stack.url}"
    links = http.get(f"{api}/v1", headers={"Accept": "application/json"}).json()["links"]
    packs_url = next(link["href"] for link in links if link["rel"].endswith("pack/listPacks"))
    assert any(link["rel"].endswith("info/health") for link in links)
    registration = {
        "name": "Slack",
        "events": [{"name": "MessageSent"}, {"name": "SendMessageFailed"}, {"name": "ReceivedMessage"}],
        "commands": [{"name": "SendMessage", "events": ["MessageSent", "SendMessageFailed"]}],
        "links": [{"href": "https://github.com/ExpediaGroup/flyte-slack/blob/master/README.md", "rel": "help"}],
    }
    registered = http.post(packs_url, data=json.dumps(registration), headers={"Content-Type": "application/json"})
    assert registered.status_code == 201
    pack_links = registered.json()["links"]
    events_url = next(link["href"] for link in pack_links if link["rel"].endswith("event"))
    take_url = next(link["href"] for link in pack_links if link["rel"].endswith("takeAction"))

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sent = http.post(
        events_url,
        data=json.dumps({"event": "ReceivedMessage", "payload": slack_message("flyte uk-bank-holidays"), "createdAt": now}),
        headers={"Content-Type": "application/json"},
    )
    assert sent.status_code == 202

    deadline = time.monotonic() + 60
    while True:  # flyte-client: POST null to the take URL, no wait parameter; 204 -> sleep, poll again
        taken = http.post(take_url, data="null", headers={"Content-Type": "application/json"}, timeout=10)
        if taken.status_code == 200:
            break
        assert taken.status_code == 204 and time.monotonic() < deadline
        time.sleep(0.5)
    action = taken.json()
    assert action["command"] == "SendMessage"
    assert_reply(action["input"])
    result_url = next(link["href"] for link in action["links"] if link["rel"].endswith("actionResult"))
    done = http.post(
        result_url,
        data=json.dumps(
            {
                "event": "MessageSent",
                "payload": {"message": action["input"]["message"], "threadTimestamp": "", "channelId": "C0123"},
                "createdAt": now,
            }
        ),
        headers={"Content-Type": "application/json"},
    )
    assert done.status_code == 202
