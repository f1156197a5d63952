"""The engine's outbound HTTP to push packs (issue 20) can never be turned towards the inside: the
metadata service, private networks, this machine, IPv6 loopback and link-local addresses, a redirect to
them, or a name that resolves elsewhere a moment later. Real sockets, a fake pack on a loopback port."""

from __future__ import annotations

import socket

import pytest

from flyte_core.adapters.pack_endpoints import PackEndpoints
from flyte_core.domain.delivery import Bounds
from tests.push_pack import FakePushPack, Reply

LOCAL = Bounds(allow_loopback=True)
HEADERS = {"Content-Type": "application/json"}


@pytest.fixture
def pack():
    endpoint = FakePushPack()
    yield endpoint
    endpoint.close()


@pytest.fixture
def connections(monkeypatch):
    """Every address the engine connects to (the real connection still happens)."""
    made: list[str] = []
    real = socket.create_connection

    def record(address, *args, **kwargs):
        made.append(address[0])
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", record)
    return made


def resolving(mapping: dict[str, list[str]], calls: list[str] | None = None):
    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        return mapping[host]

    return resolve


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("169.254.169.254", "link-local"),
        ("10.0.0.7", "private"),
        ("192.168.0.1", "private"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("::ffff:169.254.169.254", "link-local"),
        ("fd00:ec2::254", "private"),
    ],
)
def test_a_name_resolving_inside_is_refused_without_connecting(address, says, connections):
    endpoints = PackEndpoints(Bounds(), resolver=resolving({"pack.example.com": [address]}))
    answer = endpoints.post("https://pack.example.com/flyte", b"{}", HEADERS)
    assert answer.status is None and "was refused" in answer.error and says in answer.error
    assert connections == []


def test_every_address_of_a_name_must_be_allowed(connections):
    endpoints = PackEndpoints(Bounds(), resolver=resolving({"pack.example.com": ["93.184.216.34", "10.0.0.7"]}))
    answer = endpoints.post("https://pack.example.com/flyte", b"{}", HEADERS)
    assert "10.0.0.7" in answer.error and connections == []


def test_loopback_is_refused_unless_the_stack_allows_it(pack, connections):
    refused = PackEndpoints(Bounds()).post(pack.url, b"{}", HEADERS)
    assert "loopback" in refused.error and connections == [] and pack.deliveries == []
    allowed = PackEndpoints(LOCAL).post(pack.url, b'{"input": 1}', HEADERS)
    assert allowed.status == 200 and len(pack.deliveries) == 1


def test_private_networks_only_when_allowed_and_only_to_the_checked_address(connections):
    endpoints = PackEndpoints(Bounds(allow_private=True), timeout=1, resolver=resolving({"pack.internal": ["10.255.255.1"]}))
    answer = endpoints.post("https://pack.internal/flyte", b"{}", HEADERS)
    assert answer.status is None and connections == ["10.255.255.1"]  # no pack there: it timed out or was refused


def test_dns_rebinding_cannot_move_the_request_after_the_check(pack, connections):
    """The name is resolved once; the request goes to the address that was checked, even though the
    name would resolve to the metadata service the next time."""
    calls: list[str] = []
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    answer = PackEndpoints(LOCAL, resolver=rebinding).post(f"http://pack.test:{pack.port}/flyte", b"{}", HEADERS)
    assert answer.status == 200 and calls == ["pack.test"] and connections == ["127.0.0.1"]
    assert pack.deliveries[0].headers["Host"] == f"pack.test:{pack.port}"  # the name, for the pack's own routing


def test_a_redirect_is_not_followed(pack, connections):
    pack.script(Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/iam/security-credentials/"}))
    answer = PackEndpoints(LOCAL).post(pack.url, b"{}", HEADERS)
    assert answer.status == 302 and connections == ["127.0.0.1"]


def test_plain_http_goes_only_to_loopback(connections):
    endpoints = PackEndpoints(Bounds(allow_loopback=True, allow_private=True), resolver=resolving({"pack.lan": ["10.0.0.9"]}))
    answer = endpoints.post("http://pack.lan/flyte", b"{}", HEADERS)
    assert "plain http" in answer.error and connections == []


def test_the_answer_is_bounded_in_size_and_time(pack):
    pack.script(Reply(200, b"x" * 5000))
    assert "more than 1000 bytes" in PackEndpoints(LOCAL, max_bytes=1000).post(pack.url, b"{}", HEADERS).error
    pack.script(Reply(200, {"event": "Done"}, delay=3))
    assert PackEndpoints(LOCAL, timeout=1).post(pack.url, b"{}", HEADERS).error == "timed out: no answer within 1 s"


def test_nobody_listening_is_a_connection_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    answer = PackEndpoints(LOCAL).post(f"http://127.0.0.1:{port}/flyte", b"{}", HEADERS)
    assert answer.status is None and "could not connect" in answer.error


def test_an_unknown_name_is_a_failed_attempt():
    answer = PackEndpoints(Bounds()).post("https://no-such-host.invalid/flyte", b"{}", HEADERS)
    assert answer.status is None and "could not resolve no-such-host.invalid" in answer.error
