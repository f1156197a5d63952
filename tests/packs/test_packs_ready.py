"""Issue 21: the SDK's ready long poll. When the registered pack has an `actionReady` link, the SDK
waits there (API Gateway passing SQS ReceiveMessage's answer through: no function parked) and takes
only when an action is waiting; without the link, or when the API cannot answer it, a plain take."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from flyte_pack.client import TAKE_AFTER_READY_WAIT, FlyteClient, Registration, ready_answer
from flyte_pack.config import Config

XML_ONE = (
    '<?xml version="1.0"?><ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">'
    "<ReceiveMessageResult><Message><MessageId>m1</MessageId><ReceiptHandle>r</ReceiptHandle>"
    "<Body>{&quot;actionId&quot;:&quot;a1&quot;}</Body></Message></ReceiveMessageResult>"
    "<ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></ReceiveMessageResponse>"
)
XML_NONE = (
    '<?xml version="1.0"?><ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">'
    "<ReceiveMessageResult/><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></ReceiveMessageResponse>"
)
MESSAGE = {"Body": '{"actionId": "a1"}', "MessageId": "m1", "ReceiptHandle": "r"}


def response(status: int, body: Any = b"", url: str = "http://api/v1/packs/P/actions/ready") -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp._content = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
    resp.url = url
    resp.reason = "OK" if status == 200 else "Error"
    return resp


@pytest.mark.parametrize(
    ("body", "waiting"),
    [
        (XML_ONE, True),
        (XML_NONE, False),
        ({"ReceiveMessageResponse": {"ReceiveMessageResult": {"messages": [MESSAGE]}, "ResponseMetadata": {}}}, True),
        ({"ReceiveMessageResponse": {"ReceiveMessageResult": {"messages": None}, "ResponseMetadata": {}}}, False),
        ({"ReceiveMessageResponse": {"ReceiveMessageResult": {"Messages": [MESSAGE]}}}, True),
        ({"ReceiveMessageResponse": {"ReceiveMessageResult": {}}}, False),
        ({"Messages": [MESSAGE]}, True),  # the JSON protocol's answer
        ({"Messages": []}, False),
        ({}, False),  # the JSON protocol answers {} when no message came
        ("", False),
        ({"message": "Forbidden"}, None),  # not SQS's answer: take as usual
        ("<html>gateway timeout</html>", None),
        ("not json", None),
    ],
)
def test_the_ready_answer_is_read_in_every_form_sqs_has(body, waiting):
    assert ready_answer(response(200, body)) is waiting


class StubSession(requests.Session):
    """Answers GETs (ready) and POSTs (take) from lists, recording the URLs asked."""

    def __init__(self, ready: list[requests.Response], take: list[requests.Response]) -> None:
        super().__init__()
        self.ready, self.takes, self.asked = ready, take, []

    def get(self, url, **kwargs):  # type: ignore[override]
        self.asked.append(("GET", url))
        return self.ready.pop(0)

    def post(self, url, **kwargs):  # type: ignore[override]
        self.asked.append(("POST", url))
        return self.takes.pop(0)


def client(session: StubSession, ready_url: str | None = "http://api/v1/packs/P/actions/ready", **config: Any) -> FlyteClient:
    made = FlyteClient(Config(api_url="http://api", **config), session=session)
    made.registration = Registration("P", "http://api/v1/packs/P/events", "http://api/v1/packs/P/actions/take", {}, ready_url)
    return made


ACTION = {"command": "Do", "input": 1, "links": [{"href": "/v1/packs/P/actions/a1/result", "rel": "x/actionResult"}]}


def test_an_idle_pack_waits_on_ready_and_never_calls_the_take():
    session = StubSession([response(200, XML_NONE)], [])
    assert client(session).take(5) is None
    assert session.asked == [("GET", "http://api/v1/packs/P/actions/ready?wait=20")]  # SQS's longest wait by default


def test_an_action_seen_by_ready_is_taken_with_a_short_take():
    session = StubSession([response(200, XML_ONE)], [response(200, ACTION, "http://api/v1/packs/P/actions/take")])
    action = client(session).take(5)
    assert action is not None and action.command == "Do" and action.result_url == "http://api/v1/packs/P/actions/a1/result"
    assert session.asked[1] == ("POST", f"http://api/v1/packs/P/actions/take?wait={TAKE_AFTER_READY_WAIT}")


def test_an_explicit_poll_wait_is_the_ready_wait():
    session = StubSession([response(200, {"Messages": []})], [])
    assert client(session, poll_wait=2).take(2) is None
    assert session.asked == [("GET", "http://api/v1/packs/P/actions/ready?wait=2")]


@pytest.mark.parametrize("status", [400, 401, 403, 500, 503])
def test_a_ready_poll_the_api_cannot_answer_falls_back_to_the_take_which_says_why(status):
    """A deleted pack's cached queue (SQS 400), a refused token (403): the take answers what is wrong."""
    session = StubSession([response(status, {"message": "Forbidden"})], [response(204, url="http://api/t")])
    made = client(session)
    assert made.take(5) is None
    assert session.asked[1] == ("POST", "http://api/v1/packs/P/actions/take?wait=5")
    assert made.use_ready  # tried again next time


def test_an_api_without_the_ready_route_is_not_asked_again():
    session = StubSession([response(404, {"message": "Not Found"})], [response(204), response(204)])
    made = client(session)
    made.take(5)
    made.take(5)
    assert [method for method, _ in session.asked] == ["GET", "POST", "POST"]


def test_without_a_ready_link_the_sdk_takes_as_the_original_flyte_client_does():
    session = StubSession([], [response(204)])
    assert client(session, ready_url=None).take(5) is None
    assert session.asked == [("POST", "http://api/v1/packs/P/actions/take?wait=5")]
