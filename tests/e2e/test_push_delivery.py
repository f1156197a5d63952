"""Push delivery end to end on the local stack (issue 20): a pack registers a loopback URL, the
stack's delivery function (fed by the delivery queue's SQS event source) POSTs its actions there,
signed, and the pack's answers complete them, have them retried, end them FATAL or unregister it."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from flyte_pack import Command, Event, Pack
from tests.push_pack import FakePushPack, Reply

pytestmark = pytest.mark.e2e


@pytest.fixture
def push_pack():
    endpoint = FakePushPack()
    yield endpoint
    endpoint.close()


FLOW = {
    "name": "pushed",
    "steps": [
        {
            "id": "work",
            "event": {"packName": "Src", "name": "Go"},
            "command": {"packName": "Push", "name": "Work", "input": "{{ Event.Payload.n }}"},
        },
        {
            "id": "report",
            "dependsOn": ["work"],
            "event": {"packName": "Push", "name": "Done"},
            "command": {"packName": "Src", "name": "Report", "input": "{{ Event.Payload.echo }}"},
        },
        {
            "id": "alert",
            "dependsOn": ["work"],
            "event": {"packName": "Push", "name": "FATAL"},
            "command": {"packName": "Src", "name": "Alert", "input": "{{ Event.Payload }}"},
        },
    ],
}


def register_push(stack, pack: FakePushPack, **delivery) -> requests.Response:
    body = {"name": "Push", "commands": [{"name": "Work", "events": ["Done"]}], "delivery": {"url": pack.url, **delivery}}
    return requests.post(f"{stack.url}/v1/packs", json=body)


@pytest.fixture
def pushed(stack, push_pack, post_flow, make_pack):
    """The flow, the source pack (long-polling) and the push pack, registered with a secret the engine made."""
    post_flow(FLOW)
    registered = register_push(stack, push_pack)
    assert registered.status_code == 201, registered.text
    push_pack.secret = registered.json()["delivery"]["secret"]
    return make_pack("Src")


def execution(api, stack):
    flows = requests.get(f"{stack.url}/v1/audit/flows", params={"flowName": "pushed"}).json()["flows"]
    return flows[0] if flows else None


def test_an_action_is_posted_signed_and_the_200_completes_it_and_continues_the_flow(stack, api, pushed, push_pack):
    pushed.send_event("Go", {"n": 7})
    (delivery,) = push_pack.wait_for(1)
    assert delivery.signed, "X-Flyte-Signature must verify with the secret of the 201"
    assert abs(int(delivery.headers["X-Flyte-Timestamp"]) - time.time()) < 60
    assert delivery.document["command"] == "Work" and delivery.document["input"] == "7"
    assert delivery.result_url.startswith(f"{stack.url}/v1/packs/Push/actions/")
    report = pushed.take_until(timeout=20)  # the pack's 200 result continued the flow
    assert (report.command, report.input) == ("Report", "7")
    assert requests.post(delivery.result_url, json={"event": "Done", "payload": {}}).status_code == 409  # once only
    work = execution(api, stack)["actions"]["work"]
    assert work["state"]["value"] == "SUCCESS" and work["takenBy"] == {"iss": "urn:flyte:delivery", "sub": "Push"}


def test_a_202_and_a_result_posted_later_through_the_link(stack, pushed, push_pack):
    push_pack.script(Reply(202))
    pushed.send_event("Go", {"n": 1})
    (delivery,) = push_pack.wait_for(1)
    later = requests.post(delivery.result_url, json={"event": "Done", "payload": {"echo": "later"}})
    assert later.status_code == 202, later.text
    report = pushed.take_until(timeout=20)
    assert (report.command, report.input) == ("Report", "later")
    assert len(push_pack.deliveries) == 1


def test_failed_deliveries_are_retried_then_the_action_ends_fatal_with_the_reason(stack, pushed, push_pack):
    push_pack.script(Reply(500), Reply(502), Reply(503))
    pushed.send_event("Go", {"n": 1})
    deliveries = push_pack.wait_for(3, timeout=40)  # backoffs of about 2 and 4 s
    assert [d.headers["X-Flyte-Attempt"] for d in deliveries] == ["1", "2", "3"]
    assert deliveries[2].at - deliveries[1].at > deliveries[1].at - deliveries[0].at > 1.5
    alert = pushed.take_until(timeout=20)  # FATAL continues the flow as an expired lease does
    assert alert.command == "Alert"
    assert alert.input == (f"Delivery to {push_pack.url} failed 3 time(s); the last attempt answered 503 Service Unavailable.")


def test_a_pack_that_answers_410_is_unregistered(stack, pushed, push_pack):
    push_pack.script(Reply(410))
    pushed.send_event("Go", {"n": 1})
    push_pack.wait_for(1)
    deadline = time.monotonic() + 20
    while requests.get(f"{stack.url}/v1/packs/Push").status_code != 404:
        assert time.monotonic() < deadline, "the pack stayed registered"
        time.sleep(0.1)


def test_the_secret_is_shown_once_and_nowhere_else(stack, pushed, push_pack):
    secret = push_pack.secret
    pushed.send_event("Go", {"n": 1})
    push_pack.wait_for(1)
    pushed.take_until(timeout=20)
    again = requests.get(f"{stack.url}/v1/packs/Push")
    assert again.json()["delivery"] == {"url": push_pack.url}
    for url in ("/v1/packs", "/v1/packs/Push", "/v1/audit/flows", "/v1/audit/events"):
        assert secret not in requests.get(stack.url + url).text, url
    assert register_push(stack, push_pack).json()["delivery"] == {"url": push_pack.url}  # kept, not shown again


def test_a_push_pack_takes_nothing(stack, pushed):
    taken = requests.post(f"{stack.url}/v1/packs/Push/actions/take", params={"wait": 0})
    assert taken.status_code == 409 and taken.headers["content-type"] == "application/problem+json"
    assert "push delivery" in taken.json()["detail"]


@pytest.mark.parametrize(
    ("delivery", "says"),
    [
        ({"url": "http://pack.example.com/flyte"}, "must use https"),
        ({"url": "https://169.254.169.254/latest/meta-data/"}, "link-local"),
        ({"url": "https://10.0.0.1/"}, "private address"),
        ({"url": "https://pack.example.com/", "secret": "short"}, "16 to 256"),
        ({"url": "https://pack.example.com/", "secret": "s" * 20, "retries": 3}, "no key 'retries'"),
    ],
)
def test_a_bad_delivery_is_refused_naming_it(stack, delivery, says):
    answer = requests.post(f"{stack.url}/v1/packs", json={"name": "Refused", "delivery": delivery})
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
    assert says in answer.json()["detail"] and answer.json()["field"].startswith("delivery")
    assert delivery.get("secret", "\0") not in answer.text  # a refused secret is not repeated
    assert requests.get(f"{stack.url}/v1/packs/Refused").status_code == 404


def test_an_sdk_pack_in_push_mode_serves_the_same_commands(stack, post_flow, make_pack):
    """flyte_pack's push mode (its local server) against the stack: registered with a secret the engine
    makes, a command answered in the 200, a deferred one posted later through its link."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    post_flow(
        {
            "name": "sdk-push",
            "steps": [
                {
                    "id": "now",
                    "event": {"packName": "SdkSrc", "name": "Now"},
                    "command": {"packName": "Sdk", "name": "Work", "input": "{{ Event.Payload }}"},
                },
                {
                    "id": "later",
                    "event": {"packName": "SdkSrc", "name": "Later"},
                    "command": {"packName": "Sdk", "name": "Slow", "input": "x"},
                },
                {
                    "id": "report",
                    "dependsOn": ["now", "later"],
                    "event": {"packName": "Sdk", "name": "Worked"},
                    "command": {"packName": "SdkSrc", "name": "Report", "input": "{{ Event.Payload.echo }}"},
                },
            ],
        }
    )
    pack = Pack(
        "Sdk",
        commands=[
            Command("Work", lambda input: Event("Worked", {"echo": input}), output_events=["Worked"]),
            Command("Slow", lambda input: Event("Worked", {"echo": "later " + input}), deferred=True),
        ],
        api_url=stack.url,
        delivery_url=f"http://127.0.0.1:{port}/flyte",
        listen=f"127.0.0.1:{port}",
        retry_interval=0.2,
    )
    src = make_pack("SdkSrc")
    with pack:
        assert pack.wait_registered(20) and pack.delivery_secret
        src.send_event("Now", "hello")
        assert src.take_until(timeout=20).input == "hello"
        src.send_event("Later", {})
        assert src.take_until(timeout=20).input == "later x"
    assert requests.get(f"{stack.url}/v1/packs/Sdk").json()["delivery"] == {"url": f"http://127.0.0.1:{port}/flyte"}
