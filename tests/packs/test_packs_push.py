"""The SDK's push mode (issue 20): the same commands served to the engine's signed deliveries, by a
local HTTP server or an AWS Lambda handler; the signature and its five-minute window checked first."""

from __future__ import annotations

import base64
import json
import socket
import time
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from flyte_pack import Command, ConfigError, Event, Pack
from flyte_pack.push import REGISTER_KEY, SignatureError, lambda_handler, sign, verify

SECRET = "pack-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def signed(document: dict[str, Any], secret: str = SECRET, at: float | None = None) -> tuple[dict[str, str], bytes]:
    body = json.dumps(document).encode()
    timestamp = str(int(time.time() if at is None else at))
    return {
        "X-Flyte-Timestamp": timestamp,
        "X-Flyte-Signature": sign(secret, timestamp, body),
        "Content-Type": "application/json",
    }, body


def slow(input: Any) -> Event:
    time.sleep(float(input))
    return Event("Slept", {"seconds": input})


def make_pack(api, fast, **kwargs: Any) -> Pack:
    port = free_port()
    settings = {**fast, "api_url": api.url, "delivery_url": f"http://127.0.0.1:{port}/flyte", "listen": f"127.0.0.1:{port}"}
    pack = Pack(
        "Push",
        commands=[
            Command("Echo", lambda input: Event("Echoed", {"input": input}), output_events=["Echoed"]),
            Command("Boom", lambda input: 1 / 0),
            Command("Slow", slow),
            Command("Report", lambda input: Event("Reported", input), deferred=True),
        ],
        **{**settings, **kwargs},
    )
    return pack


def test_verify_accepts_only_the_engines_signature_within_five_minutes():
    headers, body = signed({"command": "Echo"})
    verify(SECRET, headers, body)
    verify(SECRET, {k.lower(): v for k, v in headers.items()}, body)  # header names in any case
    with pytest.raises(SignatureError, match="does not match"):
        verify("another-secret-0123456789", headers, body)
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, headers, body + b" ")
    with pytest.raises(SignatureError, match="a replay"):
        verify(SECRET, *signed({"command": "Echo"}, at=time.time() - 301))
    with pytest.raises(SignatureError, match="a replay"):
        verify(SECRET, *signed({"command": "Echo"}, at=time.time() + 301))
    with pytest.raises(SignatureError, match="no X-Flyte-Timestamp"):
        verify(SECRET, {"X-Flyte-Signature": headers["X-Flyte-Signature"]}, body)


def test_the_push_pack_registers_its_delivery_and_answers_200_with_the_result(fake_api, run_pack, fast):
    pack = run_pack(make_pack(fake_api, fast, delivery_secret=SECRET))
    assert fake_api.registrations[-1]["delivery"] == {"url": pack.config.delivery_url, "secret": SECRET}
    _, delivery = fake_api.pending("Echo", {"x": 1})
    answer = requests.post(pack.config.delivery_url, *signed(delivery)[1:], headers=signed(delivery)[0])
    assert answer.status_code == 200
    result = answer.json()
    assert (result["event"], result["payload"]) == ("Echoed", {"input": {"x": 1}}) and result["createdAt"]
    assert fake_api.take_waits == []  # a push pack never polls


def test_a_pack_without_a_secret_uses_the_one_the_engine_made(fake_api, run_pack, fast):
    pack = run_pack(make_pack(fake_api, fast))
    assert "secret" not in fake_api.registrations[-1]["delivery"]
    _, delivery = fake_api.pending("Echo", 1)
    headers, body = signed(delivery, secret=fake_api.issued_secret)
    assert requests.post(pack.config.delivery_url, data=body, headers=headers).status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda headers, body: ({**headers, "X-Flyte-Signature": "v1=" + "0" * 64}, body),
        lambda headers, body: (headers, body.replace(b'"x"', b'"y"')),
        lambda headers, body: signed(json.loads(body), at=time.time() - 600),
        lambda headers, body: signed(json.loads(body), secret="not-the-secret-012345"),
        lambda headers, body: ({"Content-Type": "application/json"}, body),
    ],
    ids=["forged", "altered body", "stale timestamp", "wrong secret", "unsigned"],
)
def test_a_delivery_that_is_not_the_engines_is_refused_and_runs_nothing(fake_api, run_pack, fast, tamper):
    ran: list[Any] = []
    pack = make_pack(fake_api, fast, delivery_secret=SECRET)
    pack.command("Record")(lambda input: ran.append(input) or Event("Recorded"))
    run_pack(pack)
    _, delivery = fake_api.pending("Record", "x")
    headers, body = tamper(*signed(delivery))
    answer = requests.post(pack.config.delivery_url, data=body, headers=headers)
    assert answer.status_code == 401 and answer.json()["error"]
    assert ran == []


def test_failures_are_results_as_in_long_polling(fake_api, run_pack, fast):
    pack = run_pack(make_pack(fake_api, fast, delivery_secret=SECRET))
    for command, says in (("Boom", "division by zero"), ("Missing", "no handler could be found")):
        _, delivery = fake_api.pending(command)
        headers, body = signed(delivery)
        result = requests.post(pack.config.delivery_url, data=body, headers=headers).json()
        assert result["event"] == "FATAL" and says in result["payload"]


def test_a_deferred_command_answers_202_and_posts_its_result_to_the_link(fake_api, run_pack, fast):
    pack = run_pack(make_pack(fake_api, fast, delivery_secret=SECRET))
    action_id, delivery = fake_api.pending("Report", {"done": True})
    headers, body = signed(delivery)
    answer = requests.post(pack.config.delivery_url, data=body, headers=headers)
    assert answer.status_code == 202 and answer.content == b""
    assert fake_api.result_of(action_id)["event"] == "Reported"


def test_a_command_longer_than_answer_within_answers_202_then_posts(fake_api, run_pack, fast):
    pack = run_pack(make_pack(fake_api, fast, delivery_secret=SECRET, answer_within=0.3))
    action_id, delivery = fake_api.pending("Slow", 1)
    headers, body = signed(delivery)
    started = time.monotonic()
    answer = requests.post(pack.config.delivery_url, data=body, headers=headers)
    assert answer.status_code == 202 and time.monotonic() - started < 1
    assert fake_api.result_of(action_id)["payload"] == {"seconds": 1}
    quick_id, quick = fake_api.pending("Slow", 0)
    headers, body = signed(quick)
    assert requests.post(pack.config.delivery_url, data=body, headers=headers).json()["event"] == "Slept"
    assert fake_api.actions[quick_id].result is None  # answered in the 200: nothing posted


def test_a_graceful_stop_posts_the_results_of_commands_still_running(fake_api, fast):
    pack = make_pack(fake_api, fast, delivery_secret=SECRET, answer_within=0.2)
    pack.start(block=False)
    assert pack.wait_registered(10)
    action_id, delivery = fake_api.pending("Slow", 1)
    headers, body = signed(delivery)
    assert requests.post(pack.config.delivery_url, data=body, headers=headers).status_code == 202
    assert pack.stop(timeout=15)
    assert fake_api.actions[action_id].result["event"] == "Slept"


class FakeLambda:
    def __init__(self) -> None:
        self.invocations: list[dict[str, Any]] = []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        self.invocations.append({"function": FunctionName, "type": InvocationType, "payload": json.loads(Payload)})
        return {"StatusCode": 202}


CONTEXT = SimpleNamespace(invoked_function_arn="arn:aws:lambda:eu-west-1:1:function:my-pack", function_name="my-pack")


def http_event(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """A function URL's (payload format 2.0) request, body base64 as function URLs send it."""
    return {
        "version": "2.0",
        "rawPath": "/",
        "headers": {k.lower(): v for k, v in headers.items()},
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
        "requestContext": {"http": {"method": "POST", "path": "/"}},
    }


def test_the_lambda_handler_serves_the_same_commands(fake_api, fast):
    lambda_client = FakeLambda()
    pack = make_pack(fake_api, fast, delivery_secret=SECRET, delivery_url="https://abc.lambda-url.eu-west-1.on.aws/")
    handler = lambda_handler(pack, lambda_client=lambda_client)
    assert handler({REGISTER_KEY: True}, CONTEXT) == {"registered": True, "pack": "Push"}

    _, delivery = fake_api.pending("Echo", [1, 2])
    response = handler(http_event(*signed(delivery)), CONTEXT)
    assert response["statusCode"] == 200 and json.loads(response["body"])["payload"] == {"input": [1, 2]}
    refused = handler(http_event(*signed(delivery, at=time.time() - 3600)), CONTEXT)
    assert refused["statusCode"] == 401

    action_id, deferred = fake_api.pending("Report", "later")
    response = handler(http_event(*signed(deferred)), CONTEXT)
    assert response["statusCode"] == 202
    (invocation,) = lambda_client.invocations
    assert invocation["function"] == CONTEXT.invoked_function_arn and invocation["type"] == "Event"
    assert handler(invocation["payload"], CONTEXT) is None and fake_api.actions[action_id].result["event"] == "Reported"
    assert len(fake_api.registrations) == 1  # registered once per environment


def test_a_lambda_push_pack_needs_its_secret_configured(fake_api, fast):
    handler = lambda_handler(make_pack(fake_api, fast, delivery_url="https://x.example/"), lambda_client=FakeLambda())
    with pytest.raises(RuntimeError, match="FLYTE_PACK_DELIVERY_SECRET"):
        handler({}, CONTEXT)


def test_push_settings_are_read_and_checked(fake_api):
    env = {
        "FLYTE_API": fake_api.url,
        "FLYTE_PACK_DELIVERY_URL": "https://pack.example.com/flyte",
        "FLYTE_PACK_DELIVERY_SECRET": SECRET,
        "FLYTE_PACK_LISTEN": "0.0.0.0:9000",
        "FLYTE_PACK_ANSWER_WITHIN": "5",
    }
    config = Pack("P", env=env).config
    assert (config.push, config.delivery_url, config.listen_address, config.answer_within) == (
        True,
        "https://pack.example.com/flyte",
        ("0.0.0.0", 9000),
        5.0,
    )
    assert SECRET not in repr(config)
    for name, value in (
        ("FLYTE_PACK_DELIVERY_SECRET", "short"),
        ("FLYTE_PACK_DELIVERY_URL", "pack.example.com"),
        ("FLYTE_PACK_LISTEN", "localhost"),
        ("FLYTE_PACK_ANSWER_WITHIN", "12"),
    ):
        with pytest.raises(ConfigError):
            Pack("P", env={**env, name: value})
    assert not Pack("P", env={"FLYTE_API": fake_api.url}).config.push  # long polling stays the default


def test_commands_can_be_declared_with_a_decorator(fake_api):
    pack = Pack("P", api_url=fake_api.url)

    @pack.command("Greet", output_events=["Greeted"])
    def greet(input: Any) -> Event:
        return Event("Greeted", {"hello": input})

    assert greet("x") == Event("Greeted", {"hello": "x"})
    assert pack.definition()["commands"] == [{"name": "Greet", "events": ["Greeted"]}]
    with pytest.raises(ValueError, match="twice"):
        pack.command("Greet")(greet)
