"""Push delivery (issue 20), the pure rules: which delivery endpoints a pack may register, which
addresses the engine may connect to, how a delivery is signed, what a pack's answer means and how
long to wait before the next attempt.

A push pack registers `{"delivery": {"url": "https://...", "secret": "..."?}}`. Its actions are POSTed
to that URL with

    X-Flyte-Timestamp: <unix seconds>
    X-Flyte-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + body)>

and the body `{"id", "command", "input", "links": [{"href": <result link>, "rel": ".../actionResult"}]}`.
The pack answers 200 `{"event", "payload"}` (the result, at once), 202 (it posts the result to the
link later), or 410 (unregister me). Anything else is a failed attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import bounds
from .errors import DomainError, InvalidInput
from .events import parse_posted

SIGNATURE_VERSION = "v1"
TIMESTAMP_HEADER = "X-Flyte-Timestamp"
SIGNATURE_HEADER = "X-Flyte-Signature"
ACTION_HEADER = "X-Flyte-Action-Id"
ATTEMPT_HEADER = "X-Flyte-Attempt"
TIMEOUT_SECONDS = 10  # a pack has this long to answer a delivery, connection included
MAX_ANSWER_BYTES = 1024 * 1024  # the most of a pack's answer that is read (a result is at most 100,000 bytes)
MAX_URL_BYTES = 2048
MIN_SECRET_CHARACTERS, MAX_SECRET_CHARACTERS = 16, 256
SIGNATURE_TOLERANCE_SECONDS = 300  # what a receiver should accept (the SDK does): five minutes either side
BACKOFF_BASE_SECONDS = 2
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
# Shared address space (RFC 6598) and the like are not global either; `is_global` covers them.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Bounds:
    """Where deliveries may go: loopback only for local development (the local stack allows it;
    in Lambda 127.0.0.1:9001 is the runtime's own API), private networks only when a deployment says so."""

    allow_loopback: bool = False
    allow_private: bool = False


@dataclass(frozen=True)
class Registration:
    """A registration's `delivery`: the URL and the secret it gave (None: the engine makes one)."""

    url: str
    secret: str | None = None


# --- registration --------------------------------------------------------------------------------------


def parse_registration(value: Any, allowed: Bounds) -> Registration | None:
    """The `delivery` of a POST /v1/packs body; None when there is none (the pack long-polls)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput("'delivery' must be an object {url, secret?}.", field="delivery")
    unknown = sorted(set(value) - {"url", "secret"})
    if unknown:
        raise InvalidInput(f"'delivery' has no key {unknown[0]!r}; it takes url and secret.", field=f"delivery.{unknown[0]}")
    url = value.get("url")
    if not isinstance(url, str) or not url:
        raise InvalidInput("'delivery.url' must be the https URL the pack's actions are POSTed to.", field="delivery.url")
    check_url(url, allowed)
    secret = value.get("secret")
    if secret is not None:
        # the value itself is never repeated in an answer or a log
        if not isinstance(secret, str):
            raise InvalidInput("'delivery.secret' must be a string.", field="delivery.secret")
        if not MIN_SECRET_CHARACTERS <= len(secret) <= MAX_SECRET_CHARACTERS:
            raise InvalidInput(
                f"'delivery.secret' must have {MIN_SECRET_CHARACTERS} to {MAX_SECRET_CHARACTERS} characters "
                f"(it has {len(secret)}); leave it out and the engine makes one.",
                field="delivery.secret",
            )
        if not all("\x21" <= ch <= "\x7e" for ch in secret):
            raise InvalidInput(
                "'delivery.secret' must be printable ASCII without spaces (it is an HMAC key).", field="delivery.secret"
            )
    return Registration(url, secret)


def check_url(url: str, allowed: Bounds) -> None:
    """What can be refused before any name is resolved: the scheme, the form, and hosts that are
    addresses (or loopback names) the deployment does not allow. Host names are checked again,
    with every address they resolve to, at each delivery."""
    if len(url.encode("utf-8")) > MAX_URL_BYTES:
        raise InvalidInput(f"'delivery.url' is longer than {MAX_URL_BYTES} bytes.", field="delivery.url")
    if not all("\x21" <= ch <= "\x7e" for ch in url):
        raise InvalidInput(
            "'delivery.url' must be printable ASCII without spaces (percent-encode the rest; IDNA for host names).",
            field="delivery.url",
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidInput(f"'delivery.url' is not a URL: {error}.", field="delivery.url") from None
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidInput("'delivery.url' must be an https URL with a host.", field="delivery.url")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("'delivery.url' must not carry a user or password.", field="delivery.url")
    if parts.fragment:
        raise InvalidInput("'delivery.url' must not have a fragment (#...).", field="delivery.url")
    if port == 0:
        raise InvalidInput("'delivery.url' names port 0.", field="delivery.url")
    address = _literal(host)
    loopback = host in LOOPBACK_NAMES or (address is not None and address.is_loopback)
    if parts.scheme == "http" and not (loopback and allowed.allow_loopback):
        raise InvalidInput(
            "'delivery.url' must use https; plain http is accepted only for a loopback address on a stack that "
            "allows loopback deliveries (the local stack, for development).",
            field="delivery.url",
        )
    if loopback and not allowed.allow_loopback:
        raise InvalidInput(
            "'delivery.url' names this machine (loopback); deliveries may not go there on this stack.", field="delivery.url"
        )
    if address is not None:
        refusal = address_refusal(address, allowed)
        if refusal:
            raise InvalidInput(f"'delivery.url' {refusal}.", field="delivery.url")


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allowed: Bounds) -> str | None:
    """Why a delivery may not connect to this address (None: it may). Only globally routable unicast
    addresses are allowed, plus loopback and private ones when the deployment allows them. IPv4
    addresses inside IPv6 (mapped, NAT64) are judged as the IPv4 address they reach."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address_refusal(address.ipv4_mapped, allowed)
        if address in NAT64:
            return address_refusal(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), allowed)
        if address.sixtofour is not None:
            return address_refusal(address.sixtofour, allowed)
    if address.is_loopback:
        return None if allowed.allow_loopback else f"is a loopback address ({address})"
    if address.is_link_local:
        return f"is a link-local address ({address}; the cloud's metadata service lives there)"
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return f"is not a unicast address ({address})"
    if not address.is_global:
        return None if allowed.allow_private else f"is a private address ({address})"
    return None


# --- signing ---------------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """`v1=<hex>`: HMAC-SHA256 with the pack's secret over `v1:{timestamp}:{body}`."""
    message = f"{SIGNATURE_VERSION}:{timestamp}:".encode("ascii") + body
    return f"{SIGNATURE_VERSION}=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_matches(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """Whether a signature header (possibly several `v1=...`, comma separated) holds the right one."""
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))


def request_body(action_id: str, command: str, input: Any, result_link: dict[str, str]) -> bytes:
    return json.dumps(
        {"id": action_id, "command": command, "input": input, "links": [result_link]}, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


# --- answers -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What came back from one delivery: the status and body, or why there was none."""

    status: int | None = None
    reason: str = ""  # the HTTP reason phrase
    body: bytes = b""
    error: str | None = None  # no (usable) answer: refused address, timeout, connection error, too large


@dataclass(frozen=True)
class Completed:
    """200: the result, to be recorded as if posted to the result link."""

    event: str
    payload: Any
    created_at: datetime | None


@dataclass(frozen=True)
class Later:
    """202: the pack posts the result to the link itself, within the lease."""


@dataclass(frozen=True)
class Gone:
    """410: the pack asks to be unregistered."""


@dataclass(frozen=True)
class Failed:
    reason: str


Outcome = Completed | Later | Gone | Failed


def outcome(answer: Answer) -> Outcome:
    """What an answer means for the action."""
    if answer.error is not None:
        return Failed(answer.error)
    status = answer.status
    if status == 200:
        try:
            body = bounds.load_json(answer.body.decode("utf-8"), "answer")
        except (ValueError, DomainError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            detail = error.detail if isinstance(error, DomainError) else str(error)
            return Failed(f'answered 200 with a body that is not JSON ({detail}); a result is {{"event", "payload"}}')
        if not isinstance(body, dict) or not isinstance(body.get("event"), str) or not body["event"]:
            return Failed('answered 200 without a result (a result is {"event", "payload"}); answer 202 to post it later')
        try:
            return Completed(*parse_posted(body))
        except DomainError as error:
            return Failed(f"answered 200 with a result that is not valid: {error.detail}")
    if status == 202:
        return Later()
    if status == 410:
        return Gone()
    described = f"answered {status} {answer.reason}".rstrip()
    if status is not None and 300 <= status < 400:
        return Failed(f"{described} (redirects are not followed)")
    return Failed(described)


def backoff_seconds(attempt: int, lease_seconds: int, jitter: float | None = None) -> int:
    """How long to wait after failed attempt `attempt` (1, 2, ...): 2, 4, 8, ... seconds with up to
    a quarter more at random, never beyond the lease."""
    base = BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1)
    spread = random.random() if jitter is None else jitter
    return max(1, min(lease_seconds, int(base * (1 + spread / 4))))


def shown_url(url: str) -> str:
    """A delivery URL as logs and the audit show it: without its query, which may carry a token."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def failure_reason(url: str, attempts: int, last: str) -> str:
    """The payload of the FATAL result after the last failed attempt."""
    return f"Delivery to {shown_url(url)} failed {attempts} time(s); the last attempt {last}."
