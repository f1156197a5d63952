"""The local gateway's own answers (issue 8, items 1, 9 and 12): every method reaches routing, its
refusals are problem+json, bodies are bounded, and response headers are written as API Gateway
writes them, without letting a value split the response."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import struct
import time

import pytest

from flyte_local import application
from flyte_local.application import Route, Throttling
from flyte_local.gateway import MAX_BODY_BYTES, Gateway, TokenBucket
from flyte_local.runtime import Throttled


def echo(function: str, event: dict) -> dict:
    if function == "Busy":
        raise Throttled("Busy: all environments stayed busy")
    if function == "Splitting":
        return {"statusCode": 201, "headers": {"location": "http://x/a\r\nSet-Cookie: session=evil"}, "body": ""}
    if function == "Unicode":
        return {"statusCode": 201, "headers": {"location": "http://x/v1/flows/\u00e9t\u00e9-\U0001f600"}, "body": ""}
    if function == "Slow":  # a long poll the client gives up on
        time.sleep(0.5)
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "{}"}
    if function == "Headers":
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event["headers"])}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(
            {"function": function, "routeKey": event["routeKey"], "method": event["requestContext"]["http"]["method"]}
        ),
    }


@pytest.fixture
def gateway():
    routes = [
        Route("GET", "/v1/packs", "Packs"),
        Route("POST", "/v1/packs", "Packs"),
        Route("GET", "/busy", "Busy"),
        Route("GET", "/split", "Splitting"),
        Route("GET", "/unicode", "Unicode"),
        Route("GET", "/headers", "Headers"),
        Route("POST", "/slow", "Slow"),
    ]
    local = Gateway(routes, echo)
    port = local.start("127.0.0.1", 0)
    yield port
    local.stop()


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.headers, response.read()


def raw_exchange(port: int, data: bytes) -> bytes:
    """Bytes on the wire both ways, for what http.client would not send or would parse away."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(data)
    connection.shutdown(socket.SHUT_WR)
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
    connection.close()
    return answer


def problem(body: bytes) -> dict:
    document = json.loads(body)
    assert {"type", "title", "status", "detail"} <= set(document)
    return document


def test_item12_an_unknown_route_is_a_problem_json_404(gateway):
    status, headers, body = request(gateway, "GET", "/v1/nowhere")
    assert status == 404 and headers["content-type"] == "application/problem+json"
    assert "/v1/nowhere" in problem(body)["detail"]


def test_item12_a_method_the_route_does_not_have_is_a_problem_json_405_with_allow(gateway):
    status, headers, body = request(gateway, "DELETE", "/v1/packs")
    assert status == 405 and headers["allow"] == "GET, POST"
    assert problem(body)["status"] == 405


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "BREW"])
def test_item12_unknown_methods_are_routed_not_answered_with_an_html_501(gateway, method):
    status, headers, body = request(gateway, method, "/v1/packs")
    assert status == 405 and headers["content-type"] == "application/problem+json"
    assert method in problem(body)["detail"]


def test_item12_a_default_route_receives_what_no_other_route_matches():
    local = Gateway([Route("GET", "/v1", "Info"), Route("ANY", "/$default", "Info")], echo)
    port = local.start("127.0.0.1", 0)
    try:
        status, _, body = request(port, "TRACE", "/v1/anything")
    finally:
        local.stop()
    assert status == 200 and json.loads(body) == {"function": "Info", "routeKey": "$default", "method": "TRACE"}


def test_item1_a_body_above_the_lambda_payload_limit_is_a_413_naming_the_limit(gateway):
    # The gateway answers from the headers, without reading 20 MB (so the test sends none of it).
    answer = raw_exchange(gateway, b"POST /v1/packs HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n").decode()
    assert answer.startswith("HTTP/1.1 413")
    assert str(MAX_BODY_BYTES) in answer and "application/problem+json" in answer


def test_a_malformed_content_length_is_a_400(gateway):
    status, _, body = request(gateway, "POST", "/v1/packs", headers={"Content-Length": "lots"})
    assert status == 400 and "content-length" in problem(body)["detail"]


def test_item9_non_latin1_header_values_are_sent_as_utf8_bytes_not_a_dropped_connection(gateway):
    answer = raw_exchange(gateway, b"GET /unicode HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 201")
    assert "location: http://x/v1/flows/\u00e9t\u00e9-\U0001f600\r\n".encode() in answer


def test_item6_a_header_value_with_a_line_break_never_reaches_the_wire(gateway):
    status, headers, body = request(gateway, "GET", "/split")
    assert status == 502 and "set-cookie" not in headers
    assert "location" in problem(body)["detail"]


def test_a_function_whose_environments_are_all_busy_answers_429_problem_json(gateway):
    status, headers, body = request(gateway, "GET", "/busy")
    assert status == 429 and headers["retry-after"] == "1"
    assert problem(body)["status"] == 429


def test_a_malformed_request_line_is_answered_with_problem_json(gateway):
    answer = raw_exchange(gateway, b"GET /v1/packs HTTP/9.9 extra\r\n\r\n").decode()
    assert answer.startswith("HTTP/1.1 400") and "application/problem+json" in answer


def test_issue19_every_answer_the_gateway_gives_by_itself_says_nosniff(gateway):
    """Issue 19, item 4: its own refusals, like every function's answers, are never sniffed into another type."""
    answers = [
        request(gateway, "GET", "/v1/nowhere"),  # 404
        request(gateway, "DELETE", "/v1/packs"),  # 405
        request(gateway, "POST", "/v1/packs", headers={"Content-Length": "lots"}),  # 400
        request(gateway, "GET", "/busy"),  # 429
        request(gateway, "GET", "/split"),  # 502
    ]
    assert [headers["x-content-type-options"] for _, headers, _ in answers] == ["nosniff"] * len(answers)
    for raw in (b"POST /v1/packs HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n", b"GET /v1/packs HTTP/9.9 x\r\n\r\n"):
        assert "x-content-type-options: nosniff\r\n" in raw_exchange(gateway, raw).decode().lower()


def test_issue19_the_function_learns_the_scheme_from_the_gateway_not_from_the_client(gateway):
    _, _, body = request(gateway, "GET", "/headers", headers={"X-Forwarded-Proto": "https"})
    assert json.loads(body)["x-forwarded-proto"] == "http"  # as API Gateway puts its own (https) in place of a client's


def test_issue19_behind_a_trusted_proxy_the_proxys_scheme_is_kept():
    local = Gateway([Route("GET", "/headers", "Headers")], echo, trust_forwarded=True)
    port = local.start("127.0.0.1", 0)
    try:
        _, _, forwarded = request(port, "GET", "/headers", headers={"X-Forwarded-Proto": "https"})
        _, _, direct = request(port, "GET", "/headers")
    finally:
        local.stop()
    assert json.loads(forwarded)["x-forwarded-proto"] == "https" and json.loads(direct)["x-forwarded-proto"] == "http"


def test_issue19_a_flood_beyond_a_routes_burst_is_answered_429_without_invoking_a_function():
    """The template's DefaultRouteSettings, as the local stack reads them (here overridden small)."""
    throttling = application.load("http://moto", {"ThrottlingRateLimit": "0.01", "ThrottlingBurstLimit": "3"}).throttling
    invoked: list[str] = []

    def count(function: str, event: dict) -> dict:
        invoked.append(event["routeKey"])
        return {"statusCode": 401, "headers": {"content-type": "application/problem+json"}, "body": "{}"}

    routes = [Route("GET", "/v1/flows", "Flows"), Route("GET", "/v1/packs", "Packs"), Route("ANY", "/$default", "Info")]
    local = Gateway(routes, count, throttling=throttling)
    port = local.start("127.0.0.1", 0)
    try:
        flood = [request(port, "GET", "/v1/flows") for _ in range(10)]
        other_route = request(port, "GET", "/v1/packs")
        unrouted = [request(port, "GET", f"/nowhere/{n}") for n in range(5)]
    finally:
        local.stop()
    assert [status for status, _, _ in flood].count(401) == 3  # the burst (a token comes back every 100 s)
    refused = [(headers, body) for status, headers, body in flood if status == 429]
    assert refused and all(headers["retry-after"] == "1" and problem(body)["status"] == 429 for headers, body in refused)
    assert "0.01 requests/s, bursts of 3" in problem(refused[0][1])["detail"]
    assert other_route[0] == 401  # each route has its own bucket
    assert [status for status, _, _ in unrouted].count(401) == 3  # $default too
    assert len(invoked) == 3 + 1 + 3


def test_issue19_a_routes_bucket_refills_at_the_rate_up_to_the_burst():
    now = [0.0]
    bucket = TokenBucket(Throttling(rate=2, burst=3), clock=lambda: now[0])
    assert [bucket.admit() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5  # one token
    assert [bucket.admit() for _ in range(2)] == [True, False]
    now[0] += 60  # never more than the burst
    assert [bucket.admit() for _ in range(4)] == [True, True, True, False]


def test_a_client_that_disconnects_mid_request_is_one_log_line_not_a_traceback(gateway, caplog, capfd):
    """A pack killed while it long-polls: the answer has nowhere to go (issue 25)."""
    caplog.set_level(logging.INFO, logger="flyte_local")
    client = socket.create_connection(("127.0.0.1", gateway), timeout=5)
    client.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset, as a killed process
    client.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any("closed the connection" in r.message for r in caplog.records):
        time.sleep(0.05)
    lines = [r.getMessage() for r in caplog.records if "closed the connection" in r.getMessage()]
    assert len(lines) == 1 and "before its answer" in lines[0]
    assert "Traceback" not in capfd.readouterr().err
    assert request(gateway, "GET", "/v1/packs")[0] == 200  # and the gateway serves on
