"""Trust between parties, as pure rules (issue 19): who a caller is and what it records, revoked
tokens and subjects, the built-in key's rotation and refresh, token lifetimes, the access log."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from flyte_core import tokens
from flyte_core.domain.callers import ANONYMOUS, Caller
from flyte_core.domain.errors import InvalidInput, NotAllowed
from flyte_core.domain.revocations import KEPT_FOR, MAX_TOKEN_LIFETIME_SECONDS, denying, parse_revocation
from flyte_core.http.auth.guard import Guard, Refused, RevocationSource
from flyte_core.http.auth.issuer import BuiltInIssuer, SigningKeys, key_id, parse_ttl
from flyte_core.http.auth.policy import parse_policy
from flyte_core.http.auth.tokens import BadSignature, InvalidToken, TokenVerifier

ISSUER = "urn:flyte:test-stack"
KEY = "k3y-that-is-long-enough-for-hs256-0123456789"
SECRET = json.dumps({"issuer": ISSUER, "key": KEY})
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ADMIN = {"iss": ISSUER, "sub": "ana"}


# --- callers -----------------------------------------------------------------------------------


def test_a_caller_records_issuer_and_subject_since_two_issuers_may_share_a_subject():
    assert Caller.from_claims({"iss": "https://idp", "sub": "42", "email": "a@x"}).record() == {
        "iss": "https://idp",
        "sub": "42",
        "email": "a@x",
    }
    assert ANONYMOUS.record() == {"sub": "anonymous"}  # no issuer vouches for it


def test_only_a_token_with_the_pack_claim_is_bound():
    people = Caller.from_claims({"iss": ISSUER, "sub": "ana", "flyte_role": "admin"})
    people.check_acts_as("Shell", "take the actions of")  # people's tokens act as today
    shell = Caller.from_claims({"iss": ISSUER, "sub": "shell-host", "flyte_pack": "Shell"})
    shell.check_acts_as("Shell", "register")
    with pytest.raises(NotAllowed, match="bound to pack 'Shell'; it may not register pack 'Slack'"):
        shell.check_acts_as("Slack", "register")


# --- revocations -------------------------------------------------------------------------------


def test_a_revoked_token_id_refuses_that_token_only():
    (entry,) = [parse_revocation({"jti": "abc", "reason": "leaked"}, ADMIN, NOW)]
    assert entry.denies({"jti": "abc", "sub": "x", "iat": 0})
    assert not entry.denies({"jti": "abd", "sub": "x", "iat": 0})
    assert entry.expires_at == NOW + KEPT_FOR > NOW + timedelta(seconds=MAX_TOKEN_LIFETIME_SECONDS)


def test_a_revoked_subject_refuses_its_tokens_issued_until_then_and_not_those_minted_after():
    entry = parse_revocation({"sub": "shell-host"}, ADMIN, NOW)
    before, after = NOW.timestamp() - 60, NOW.timestamp() + 1
    assert entry.denies({"iss": ISSUER, "sub": "shell-host", "iat": before})
    assert entry.denies({"iss": "https://other", "sub": "shell-host", "iat": before})  # any issuer unless one is named
    assert entry.denies({"iss": ISSUER, "sub": "shell-host"})  # cannot show it came after
    assert not entry.denies({"iss": ISSUER, "sub": "shell-host", "iat": after})
    assert not entry.denies({"iss": ISSUER, "sub": "slack-host", "iat": before})
    scoped = parse_revocation({"sub": "42", "iss": "https://idp"}, ADMIN, NOW)
    assert scoped.denies({"iss": "https://idp", "sub": "42", "iat": before})
    assert not scoped.denies({"iss": ISSUER, "sub": "42", "iat": before})
    assert denying([entry, scoped], {"iss": "https://idp", "sub": "42", "iat": before}) is scoped


def test_revoking_the_same_thing_twice_is_one_entry():
    first = parse_revocation({"sub": "bot"}, ADMIN, NOW)
    assert parse_revocation({"sub": "bot", "reason": "again"}, ADMIN, NOW + timedelta(hours=1)).id == first.id
    assert parse_revocation({"sub": "bot", "iss": "https://idp"}, ADMIN, NOW).id != first.id


@pytest.mark.parametrize(
    "body, detail",
    [
        ([], "JSON object"),
        ({}, "exactly one"),
        ({"jti": "a", "sub": "b"}, "exactly one"),
        ({"jti": "a", "iss": "i"}, "'iss' goes with 'sub'"),
        ({"jti": ""}, "must not be empty"),
        ({"jti": 7}, "must be a string"),
        ({"sub": "a", "reason": "x" * 501}, "at most 500"),
        ({"sub": "a", "until": "now"}, "Unknown member 'until'"),
    ],
)
def test_a_bad_revocation_says_what_is_wrong(body, detail):
    with pytest.raises(InvalidInput, match=detail):
        parse_revocation(body, ADMIN, NOW)


class FixedVerifier:
    def __init__(self, claims: dict) -> None:
        self.claims = claims

    def verify(self, token: str):
        from flyte_core.http.auth.tokens import Identity

        return Identity(self.claims)


def guard_with(claims: dict, revocations) -> Guard:
    policy = parse_policy("- path: /*\n  claims: {aud: [flyte]}\n")
    return Guard(lambda: policy, lambda: FixedVerifier(claims), revocations)


def test_the_guard_refuses_a_revoked_token_as_an_invalid_one():
    claims = {"iss": ISSUER, "aud": "flyte", "sub": "rui", "jti": "t1", "iat": NOW.timestamp() - 10}
    revoked = [parse_revocation({"jti": "t1"}, ADMIN, NOW)]
    with pytest.raises(Refused) as refused:
        guard_with(claims, lambda: revoked).check("GET", "/v1/flows", "Bearer x")
    assert refused.value.status == 401 and "revoked" in refused.value.detail
    assert 'error="invalid_token"' in refused.value.headers["WWW-Authenticate"]
    assert guard_with({**claims, "jti": "t2"}, lambda: revoked).check("GET", "/v1/flows", "Bearer x") is not None


def test_an_unreadable_deny_list_with_none_read_yet_is_503_not_an_open_door():
    def unreadable():
        raise OSError("throttled")

    with pytest.raises(Refused) as refused:
        guard_with({"aud": "flyte", "sub": "x"}, RevocationSource(unreadable).current).check("GET", "/v1/flows", "Bearer x")
    assert refused.value.status == 503 and refused.value.headers["Retry-After"]


def test_the_deny_list_is_read_again_within_the_minute_and_survives_a_failed_read():
    clock, reads, entries, failing = [0.0], [], [[]], [False]

    def read():
        reads.append(clock[0])
        if failing[0]:
            raise OSError("ThrottlingException")
        return list(entries[0])

    source = RevocationSource(read, monotonic=lambda: clock[0])
    assert source.current() == [] and reads == [0.0]
    clock[0] = 29
    source.current()
    assert len(reads) == 1  # cached between refreshes: no read per request
    entries[0] = [parse_revocation({"jti": "t1"}, ADMIN, NOW)]
    clock[0] = 50.001  # the refresh interval is 30 s plus at most 20 s of jitter
    assert [e.value for e in source.current()] == ["t1"]
    failing[0] = True
    clock[0] = 110.002
    assert [e.value for e in source.current()] == ["t1"]  # the last list read stays in force
    failing[0] = False
    clock[0] = 120.003  # retried within seconds, not a whole interval later
    entries[0] = []
    assert source.current() == []


# --- the built-in key: lifetime, rotation, refresh ----------------------------------------------


def test_minting_refuses_a_lifetime_over_90_days_and_verifying_refuses_one_minted_elsewhere():
    assert parse_ttl("90d") == MAX_TOKEN_LIFETIME_SECONDS
    with pytest.raises(ValueError, match="longer than the 90 days"):
        parse_ttl("100000d")
    issuer = BuiltInIssuer.from_secret(SECRET)
    with pytest.raises(ValueError, match="at most 90 days"):
        issuer.mint("a", {}, MAX_TOKEN_LIFETIME_SECONDS + 1)
    now = int(time.time())
    forever = jwt.encode(
        {"iss": ISSUER, "aud": "flyte", "sub": "a", "iat": now, "exp": now + 100000 * 86400, "jti": "x"}, KEY, algorithm="HS256"
    )
    with pytest.raises(InvalidToken, match="lives longer than the 90 days"):
        TokenVerifier([issuer]).verify(forever)


def test_tokens_name_their_key_without_revealing_it():
    token = BuiltInIssuer.from_secret(SECRET).mint("a", {}, 60)
    header = jwt.get_unverified_header(token)
    assert header["kid"] == key_id(KEY.encode()) and KEY not in header["kid"]
    assert jwt.decode(token, options={"verify_signature": False})["jti"]


class RotatingSecret:
    """The secret as Secrets Manager would hold it, rotated by the admin command's own rule."""

    def __init__(self) -> None:
        self.text, self.reads = SECRET, 0

    def read(self) -> str:
        self.reads += 1
        return self.text

    def rotate(self, new_key: str, grace_seconds: int) -> None:
        self.text = json.dumps(SigningKeys.from_secret(self.text).rotated(new_key, grace_seconds, time.time()))


def test_a_rotation_keeps_the_previous_key_for_its_grace_period_only():
    secret, clock = RotatingSecret(), [0.0]
    verifying = BuiltInIssuer.from_secret(secret.read(), reload=secret.read, monotonic=lambda: clock[0])
    old_token = BuiltInIssuer.from_secret(secret.text).mint("a", {}, 600)
    secret.rotate("the-new-key-that-is-long-enough-0123456789", grace_seconds=3600)
    new_token = BuiltInIssuer.from_secret(secret.text).mint("a", {}, 600)
    verifier = TokenVerifier([verifying])
    assert verifier.verify(new_token).caller().subject == "a"  # a bad signature re-read the secret at once
    assert verifier.verify(old_token).caller().subject == "a"  # within the grace period
    secret.rotate("a-third-key-that-is-long-enough-0123456789", grace_seconds=0)
    clock[0] = 61  # the periodic refresh (45-60 s) has run
    with pytest.raises(BadSignature, match="rotated out"):
        verifier.verify(new_token)
    with pytest.raises(BadSignature):
        verifier.verify(old_token)


def test_a_flood_of_bad_signatures_reads_the_secret_at_most_once_a_minute():
    secret, clock = RotatingSecret(), [0.0]
    issuer = BuiltInIssuer.from_secret(secret.read(), reload=secret.read, monotonic=lambda: clock[0])
    forged = BuiltInIssuer(ISSUER, "a-forger-key-that-is-long-enough-01234567").mint("a", {}, 60)
    verifier = TokenVerifier([issuer])
    for _ in range(100):
        with pytest.raises(InvalidToken):
            verifier.verify(forged)
    assert secret.reads == 2  # the first read, and one after the first bad signature
    clock[0] = 44  # before the periodic refresh and the failure interval
    with pytest.raises(InvalidToken):
        verifier.verify(forged)
    assert secret.reads == 2


def test_an_unreadable_secret_keeps_the_keys_already_known():
    secret, clock = RotatingSecret(), [0.0]
    issuer = BuiltInIssuer.from_secret(secret.read(), reload=lambda: (_ for _ in ()).throw(OSError("throttled")))
    token = issuer.mint("a", {}, 60)
    clock[0] = 3600
    assert TokenVerifier([issuer]).verify(token).caller().subject == "a"


# --- the admin command --------------------------------------------------------------------------


def test_a_pack_token_is_minted_bound_to_its_pack():
    assert tokens.pack_claims({}, "Shell") == {"flyte_pack": "Shell", "flyte_role": "pack"}
    assert tokens.pack_claims({"flyte_role": "admin"}, "Shell") == {"flyte_pack": "Shell", "flyte_role": ["admin", "pack"]}
    with pytest.raises(ValueError, match="mint it with --pack NAME"):
        tokens.pack_claims({"flyte_role": "pack"}, None)
    with pytest.raises(ValueError, match="disagree"):
        tokens.pack_claims({"flyte_pack": "Slack"}, "Shell")
    assert tokens.pack_claims({"flyte_role": "admin"}, None) == {"flyte_role": "admin"}


# --- the access log ------------------------------------------------------------------------------


def test_every_request_leaves_one_access_line_with_who_made_it(sample_event):
    from flyte_core.http.api import create_app, http_entrypoint
    from flyte_core.observability import logger
    from flyte_local.runtime import LambdaContext

    app = create_app()

    @app.get("/v1/datastore/<key>")
    def get(key: str):
        return {"key": key}

    lines: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = lines.append  # type: ignore[method-assign]
    std = logging.getLogger(logger.name)
    std.addHandler(handler)
    level = std.level
    std.setLevel(logging.INFO)
    try:
        event = sample_event("datastore-put.json")
        event = {**event, "routeKey": "GET /v1/datastore/{key}", "body": None, "isBase64Encoded": False}
        event["requestContext"] = {**event["requestContext"], "http": {**event["requestContext"]["http"], "method": "GET"}}
        context = LambdaContext("flyte-test", "request-1", 512, time.monotonic() + 30)
        response = http_entrypoint(app)(event, context)
    finally:
        std.removeHandler(handler)
        std.setLevel(level)
    (access,) = [record for record in lines if record.getMessage() == "access"]
    entry = access.access  # type: ignore[attr-defined]
    assert response["statusCode"] == 200
    assert entry["requestId"] == "sample-request" and entry["route"] == "GET /v1/datastore/{key}"
    assert (entry["method"], entry["path"], entry["status"], entry["sub"]) == ("GET", "/v1/datastore/teams", 200, "anonymous")
    assert entry["latencyMs"] >= 0
