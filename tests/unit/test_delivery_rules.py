"""Push delivery's pure rules (issue 20): which delivery URLs a registration may name, which
addresses a delivery may connect to, the signature any language can check, what an answer means."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json

import pytest

from flyte_core.domain import delivery
from flyte_core.domain.delivery import Answer, Bounds, Completed, Failed, Gone, Later
from flyte_core.domain.errors import InvalidInput

AWS = Bounds()  # a deployed stack: neither loopback nor private networks
LOCAL = Bounds(allow_loopback=True)  # the local stack
PRIVATE = Bounds(allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://pack.example.com/flyte",
        "https://pack.example.com:8443/hooks/flyte?team=ops",
        "https://93.184.216.34/",  # an address literal: judged at registration and again at delivery
        "https://[2001:4860:4860::8888]/x",
    ],
)
def test_https_urls_of_public_hosts_are_accepted(url):
    assert delivery.parse_registration({"url": url}, AWS) == delivery.Registration(url)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://pack.example.com/flyte", "must use https"),
        ("ftp://pack.example.com/", "https URL"),
        ("https:///nohost", "https URL with a host"),
        ("https://user:pw@pack.example.com/", "user or password"),
        ("https://pack.example.com/#frag", "fragment"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[fe80::1]/", "link-local"),
        ("https://10.0.0.8/", "private address"),
        ("https://192.168.1.10/", "private address"),
        ("https://100.64.0.1/", "private address"),  # shared address space (carrier NAT)
        ("https://[fd00:ec2::254]/", "private address"),  # the metadata service over IPv6
        ("https://127.0.0.1/", "loopback"),
        ("https://localhost:8443/", "loopback"),
        ("https://[::1]/", "loopback"),
        ("https://[::ffff:127.0.0.1]/", "loopback"),
        ("https://[::ffff:169.254.169.254]/", "link-local"),
        ("https://[64:ff9b::a9fe:a9fe]/", "link-local"),  # NAT64 of 169.254.169.254
        ("https://0.0.0.0/", "not a unicast"),
        ("https://224.0.0.1/", "not a unicast"),
        ("https://pack.example.com/a b", "without spaces"),
        ("https://pack.example.com:99999/", "not a URL"),
    ],
)
def test_urls_that_could_reach_inside_are_refused_on_a_deployed_stack(url, says):
    with pytest.raises(InvalidInput, match=says) as refused:
        delivery.parse_registration({"url": url}, AWS)
    assert refused.value.extra["field"] == "delivery.url"


def test_loopback_and_plain_http_to_it_only_where_the_stack_allows_loopback():
    for url in ("http://127.0.0.1:9000/flyte", "http://localhost:9000/", "http://[::1]:9000/", "https://127.0.0.1/"):
        assert delivery.parse_registration({"url": url}, LOCAL).url == url
        with pytest.raises(InvalidInput):
            delivery.parse_registration({"url": url}, AWS)
    with pytest.raises(InvalidInput, match="must use https"):  # plain http stays loopback only, even locally
        delivery.parse_registration({"url": "http://pack.example.com/"}, LOCAL)


def test_private_networks_only_where_the_stack_allows_them_and_link_local_never():
    assert delivery.parse_registration({"url": "https://10.1.2.3/flyte"}, PRIVATE).url == "https://10.1.2.3/flyte"
    with pytest.raises(InvalidInput, match="link-local"):
        delivery.parse_registration({"url": "https://169.254.169.254/"}, Bounds(allow_loopback=True, allow_private=True))


@pytest.mark.parametrize(
    ("address", "bounds", "refused"),
    [
        ("93.184.216.34", AWS, None),
        ("2606:2800:220:1:248:1893:25c8:1946", AWS, None),
        ("169.254.169.254", AWS, "link-local"),
        ("169.254.169.254", Bounds(True, True), "link-local"),
        ("10.0.0.1", AWS, "private"),
        ("172.16.5.4", AWS, "private"),
        ("10.0.0.1", PRIVATE, None),
        ("127.0.0.1", AWS, "loopback"),
        ("127.0.0.1", LOCAL, None),
        ("::1", AWS, "loopback"),
        ("::ffff:127.0.0.1", AWS, "loopback"),
        ("::ffff:10.0.0.1", AWS, "private"),
        ("2002:a9fe:a9fe::1", AWS, "link-local"),  # 6to4 of 169.254.169.254
        ("fe80::1", LOCAL, "link-local"),
        ("ff02::1", AWS, "not a unicast"),
        ("::", AWS, "not a unicast"),
    ],
)
def test_every_address_a_delivery_connects_to_is_judged(address, bounds, refused):
    reason = delivery.address_refusal(ipaddress.ip_address(address), bounds)
    assert (reason is None) if refused is None else (refused in reason)


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        ("short", "16 to 256 characters"),
        ("x" * 257, "16 to 256 characters"),
        ("with spaces in the secret", "printable ASCII"),
        (12345678901234567890, "must be a string"),
    ],
)
def test_a_given_secret_is_checked_and_never_repeated(secret, says):
    with pytest.raises(InvalidInput, match=says) as refused:
        delivery.parse_registration({"url": "https://pack.example.com/", "secret": secret}, AWS)
    assert str(secret) not in refused.value.detail


def test_a_registration_without_delivery_long_polls_and_bad_shapes_are_named():
    assert delivery.parse_registration(None, AWS) is None
    with pytest.raises(InvalidInput, match="object"):
        delivery.parse_registration("https://x", AWS)
    with pytest.raises(InvalidInput, match="no key 'secrets'") as refused:
        delivery.parse_registration({"url": "https://pack.example.com/", "secrets": "x"}, AWS)
    assert refused.value.extra["field"] == "delivery.secrets"
    given = delivery.parse_registration({"url": "https://pack.example.com/", "secret": "s" * 32}, AWS)
    assert given is not None and given.secret == "s" * 32


def test_the_signature_is_what_ten_lines_of_any_language_compute():
    """The documented scheme, written out as a pack would write it."""
    secret, timestamp, body = "pack-secret-0123456789", "1700000000", b'{"id":"a1","command":"Work","input":null,"links":[]}'
    header = delivery.signature(secret, timestamp, body)

    mac = hmac.new(secret.encode(), b"v1:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    assert header == "v1=" + mac
    assert delivery.signature_matches(secret, timestamp, body, header)
    assert delivery.signature_matches(secret, timestamp, body, "v1=deadbeef, " + header)  # one of several
    assert not delivery.signature_matches(secret, timestamp, body + b" ", header)
    assert not delivery.signature_matches(secret, "1700000001", body, header)
    assert not delivery.signature_matches("another-secret-0123", timestamp, body, header)


def test_the_request_body_carries_the_action_and_its_result_link():
    link = {"href": "https://api/v1/packs/P/actions/a1/result", "rel": "https://api/swagger#/actionResult"}
    assert json.loads(delivery.request_body("a1", "Work", {"x": [1]}, link)) == {
        "id": "a1",
        "command": "Work",
        "input": {"x": [1]},
        "links": [link],
    }


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer(200, "OK", b'{"event": "Done", "payload": {"n": 1}}'), Completed("Done", {"n": 1}, None)),
        (Answer(202, "Accepted"), Later()),
        (Answer(410, "Gone"), Gone()),
        (Answer(200, "OK", b"ok"), Failed),
        (Answer(200, "OK", b"[]"), Failed),
        (Answer(200, "OK", b'{"event": ""}'), Failed),
        (Answer(200, "OK", b'{"event": "Done", "payload": "' + b"x" * 100_001 + b'"}'), Failed),
        (Answer(204, "No Content"), Failed),
        (Answer(302, "Found"), Failed),
        (Answer(500, "Internal Server Error"), Failed),
        (Answer(error="timed out: no answer within 10 s"), Failed),
    ],
)
def test_what_an_answer_means(answer, expected):
    got = delivery.outcome(answer)
    if expected is Failed:
        assert isinstance(got, Failed) and got.reason
    else:
        assert got == expected


def test_failed_answers_say_why():
    assert delivery.outcome(Answer(302, "Found")).reason == "answered 302 Found (redirects are not followed)"  # type: ignore[union-attr]
    assert delivery.outcome(Answer(503, "Service Unavailable")).reason == "answered 503 Service Unavailable"  # type: ignore[union-attr]
    too_big = delivery.outcome(Answer(200, "OK", b'{"event": "Done", "payload": "' + b"x" * 100_001 + b'"}'))
    assert "100000" in too_big.reason  # type: ignore[union-attr]
    reason = delivery.failure_reason("https://pack.example.com/hook?token=abc", 3, "answered 500 Internal Server Error")
    assert (
        reason
        == "Delivery to https://pack.example.com/hook failed 3 time(s); the last attempt answered 500 Internal Server Error."
    )


def test_backoff_doubles_within_the_lease():
    assert [delivery.backoff_seconds(n, 300, jitter=0) for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert delivery.backoff_seconds(2, 300, jitter=1) == 5  # up to a quarter more
    assert delivery.backoff_seconds(20, 30, jitter=0) == 30  # never beyond the lease
