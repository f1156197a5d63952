"""Token verification against a local OIDC issuer (discovery + JWKS over loopback HTTP), the JWT
attacks of issue 11 item 3, and the stack's own issuer."""

from __future__ import annotations

import time

import jwt
import pytest

from flyte_core.http.auth.issuer import BuiltInIssuer, claims_from_pairs, parse_ttl
from flyte_core.http.auth.tokens import (
    MAX_FETCH_BYTES,
    ConfigurationError,
    InvalidToken,
    IssuerUnavailable,
    OidcIssuer,
    TokenVerifier,
    require_secure_url,
)
from tests.oidc import CLIENT_ID, OidcProvider, ec_key, rsa_key


@pytest.fixture
def verifier(provider):
    return TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID)])


def test_a_valid_id_token_verifies_with_rsa_and_ec_keys(provider, verifier):
    identity = verifier.verify(provider.token(sub="alice", email="alice@example.com", groups=["sre"]))
    assert (identity.caller().subject, identity.caller().email, identity.claims["groups"]) == (
        "alice",
        "alice@example.com",
        ["sre"],
    )
    assert verifier.verify(provider.token(key=provider.keys[1])).caller().subject == "user-1"


def test_audience_may_be_a_list_containing_the_client_id(provider, verifier):
    assert verifier.verify(provider.token(aud=["other", CLIENT_ID])).caller().subject == "user-1"


def test_keys_are_discovered_once_and_cached(provider):
    verifier = TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID)])
    before = provider.jwks_requests
    for _ in range(5):
        verifier.verify(provider.token())
    assert provider.jwks_requests == before + 1


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda p: p.unsigned_token(), id="alg none"),
        pytest.param(lambda p: p.hmac_with_public_key_token(), id="HS256 signed with the public key"),
        pytest.param(lambda p: p.token(exp=int(time.time()) - 120), id="expired"),
        pytest.param(lambda p: p.token(nbf=int(time.time()) + 600), id="not yet valid"),
        pytest.param(lambda p: p.token(iss="https://evil.example.com"), id="wrong issuer (not trusted)"),
        pytest.param(lambda p: p.token(iss=p.issuer + "/"), id="issuer differs by a slash"),
        pytest.param(lambda p: p.token(aud="another-client"), id="wrong audience"),
        pytest.param(lambda p: p.token(aud=None), id="no audience"),
        pytest.param(lambda p: p.token(exp=None), id="no expiry"),
        pytest.param(lambda p: p.token(sub=None), id="no subject"),
        pytest.param(lambda p: p.token_with_bad_signature(), id="bad signature"),
        pytest.param(lambda p: p.token_signed_by_stranger(), id="unknown kid"),
        pytest.param(lambda p: p.token_signed_by_stranger(kid="rsa-1"), id="known kid, stranger's key"),
        pytest.param(lambda p: p.token(key=p.keys[0], headers={"alg": "RS512"}), id="alg header changed"),
        pytest.param(lambda p: "not-a-jwt", id="garbage"),
        pytest.param(lambda p: "a.b.c", id="three garbage parts"),
    ],
)
def test_forged_and_unusable_tokens_are_refused(provider, verifier, forge):
    with pytest.raises(InvalidToken):
        verifier.verify(forge(provider))


def test_a_small_clock_skew_is_tolerated(provider, verifier):
    now = int(time.time())
    assert verifier.verify(provider.token(exp=now - 20)).caller().subject == "user-1"
    assert verifier.verify(provider.token(nbf=now + 20, iat=now + 20)).caller().subject == "user-1"


def test_a_key_declaring_rs256_refuses_a_token_claiming_another_rsa_algorithm():
    key = rsa_key("rsa-pinned")
    provider = OidcProvider(keys=[key], algorithms=("RS256", "RS512")).start()
    try:
        verifier = TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID)])
        forged = jwt.encode(provider.claims(), key.private, algorithm="RS512", headers={"kid": key.kid})
        with pytest.raises(InvalidToken, match="declares"):
            verifier.verify(forged)
    finally:
        provider.stop()


def test_a_key_without_alg_accepts_only_what_the_issuer_advertises_for_its_type():
    key = rsa_key("rsa-undeclared", declare_alg=False)
    provider = OidcProvider(keys=[key], algorithms=("RS256",)).start()
    try:
        verifier = TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID)])
        assert verifier.verify(provider.token()).caller().subject == "user-1"
        ps256 = jwt.encode(provider.claims(), key.private, algorithm="PS256", headers={"kid": key.kid})
        with pytest.raises(InvalidToken):
            verifier.verify(ps256)
    finally:
        provider.stop()


def test_a_rotated_key_is_fetched_when_its_kid_first_appears_but_at_most_once_a_minute():
    clock = [1000.0]
    provider = OidcProvider(keys=[rsa_key("old")]).start()
    try:
        verifier = TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID, monotonic=lambda: clock[0])])
        verifier.verify(provider.token())
        assert provider.jwks_requests == 1
        # Made-up kids within the minute: refused without asking the issuer again.
        clock[0] += 61
        for _ in range(3):
            with pytest.raises(InvalidToken, match="not one of the issuer's keys"):
                verifier.verify(provider.token_signed_by_stranger(kid="made-up"))
        assert provider.jwks_requests == 2
        # The issuer rotates; a token under the new kid right away is refused until the minute is over...
        new = rsa_key("new")
        provider.keys.append(new)
        with pytest.raises(InvalidToken):
            verifier.verify(provider.token(key=new))
        assert provider.jwks_requests == 2
        # ...then the unknown kid fetches the keys again and the token verifies.
        clock[0] += 60
        assert verifier.verify(provider.token(key=new)).caller().subject == "user-1"
        assert provider.jwks_requests == 3
    finally:
        provider.stop()


def test_a_withdrawn_key_stops_verifying_once_the_cache_is_an_hour_old():
    clock = [0.0]
    old, new = rsa_key("old"), rsa_key("new")
    provider = OidcProvider(keys=[old, new]).start()
    try:
        verifier = TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID, monotonic=lambda: clock[0])])
        token = provider.token(key=old)
        verifier.verify(token)
        provider.keys.remove(old)
        clock[0] += 3600
        with pytest.raises(InvalidToken):
            verifier.verify(token)
    finally:
        provider.stop()


def test_an_unreachable_issuer_is_reported_as_unavailable_not_as_a_bad_token():
    provider = OidcProvider().start()
    token = provider.token()
    provider.stop()
    with pytest.raises(IssuerUnavailable):
        TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID)]).verify(token)


def test_a_discovery_document_naming_another_issuer_is_not_trusted(provider):
    issuer = OidcIssuer(provider.issuer + "/", CLIENT_ID)  # the document says the issuer without the slash
    with pytest.raises(IssuerUnavailable, match="names issuer"):
        TokenVerifier([issuer]).verify(provider.token(iss=provider.issuer + "/"))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000",
        "http://localhost:9000/realms/x",
        "http://[::1]:9000",
        "https://login.example.com",
        "https://10.0.0.1",
    ],
)
def test_https_or_loopback_http_issuers_are_accepted(url):
    require_secure_url(url, "issuer")


@pytest.mark.parametrize(
    "url",
    [
        "http://login.example.com",
        "http://10.0.0.1",
        "http://127.0.0.1.evil.com",
        "ftp://127.0.0.1",
        "file:///etc/passwd",
        "127.0.0.1:9000",
    ],
)
def test_plain_http_issuers_off_loopback_are_refused(url):
    with pytest.raises(ConfigurationError):
        OidcIssuer(url, CLIENT_ID)


# The stack's own issuer.

SECRET = '{"issuer": "urn:flyte:test-stack", "key": "k3y-that-is-long-enough-for-hs256-0123456789"}'


def test_built_in_tokens_carry_the_chosen_claims_and_verify_like_oidc_ones(provider):
    built_in = BuiltInIssuer.from_secret(SECRET)
    verifier = TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID), built_in])
    token = built_in.mint("deploy-bot", claims_from_pairs(["groups=sre", "groups=dev", "admin=true"]), parse_ttl("30d"))
    identity = verifier.verify(token)
    assert identity.caller().subject == "deploy-bot"
    assert identity.claims["groups"] == ["sre", "dev"] and identity.claims["admin"] == "true"
    assert identity.claims["exp"] - identity.claims["iat"] == 30 * 86400
    assert verifier.verify(provider.token()).caller().subject == "user-1"  # the OIDC issuer still works beside it


def test_built_in_tokens_are_refused_when_expired_forged_or_signed_with_another_key():
    built_in = BuiltInIssuer.from_secret(SECRET)
    verifier = TokenVerifier([built_in])
    with pytest.raises(InvalidToken):
        verifier.verify(built_in.mint("a", {}, 60, now=time.time() - 3600))
    other = BuiltInIssuer("urn:flyte:test-stack", "another-key-that-is-long-enough-0123456789")
    with pytest.raises(InvalidToken):
        verifier.verify(other.mint("a", {}, 60))
    none_alg = jwt.encode(
        {"iss": "urn:flyte:test-stack", "aud": "flyte", "sub": "a", "exp": time.time() + 60}, None, algorithm="none"
    )
    with pytest.raises(InvalidToken):
        verifier.verify(none_alg)


@pytest.mark.parametrize(("text", "seconds"), [("30d", 2592000), ("12h", 43200), ("15m", 900), ("90s", 90), ("3600", 3600)])
def test_ttl_units(text, seconds):
    assert parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["", "0d", "-1d", "1w", "d", "1.5h"])
def test_bad_ttls_are_refused(text):
    with pytest.raises(ValueError):
        parse_ttl(text)


def test_minting_refuses_reserved_claims_weak_keys_and_bad_secrets():
    built_in = BuiltInIssuer.from_secret(SECRET)
    with pytest.raises(ValueError, match="'exp' is set by the issuer"):
        built_in.mint("a", {"exp": "1"}, 60)
    with pytest.raises(ValueError, match="subject"):
        built_in.mint("", {}, 60)
    with pytest.raises(ConfigurationError):
        BuiltInIssuer("urn:flyte:x", "short")
    with pytest.raises(ConfigurationError):
        BuiltInIssuer.from_secret("not json")
    with pytest.raises(ValueError, match="NAME=VALUE"):
        claims_from_pairs(["groups"])


def test_a_token_from_an_unknown_issuer_is_refused_before_any_key_lookup(provider):
    verifier = TokenVerifier([BuiltInIssuer.from_secret(SECRET)])
    with pytest.raises(InvalidToken, match="not trusted"):
        verifier.verify(provider.token())


def test_ec_keys_are_pinned_to_their_curve():
    key = ec_key("ec-undeclared")
    key.declare_alg = False
    provider = OidcProvider(keys=[key], algorithms=("ES256", "ES384")).start()
    try:
        verifier = TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID)])
        assert verifier.verify(provider.token()).caller().subject == "user-1"
    finally:
        provider.stop()


# --- issue 19, item 7: what the issuer's answers may be -------------------------------------------


@pytest.fixture
def stranger():
    """Another issuer's server: keys the deployment never trusted."""
    other = OidcProvider().start()
    yield other
    other.stop()


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/keys"])
def test_a_redirect_from_the_issuer_is_refused_not_followed_to_keys_elsewhere(stranger, path):
    """Followed, the redirect would verify tokens with the keys of whatever server it names."""
    provider = OidcProvider(keys=[rsa_key(stranger.keys[0].kid)]).start()  # the same kid: only where the keys are differs
    provider.redirects[path] = f"{stranger.issuer}{'/keys' if path == '/keys' else path}"
    try:
        verifier = TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID)])
        with pytest.raises(IssuerUnavailable, match=f"redirects \\(302\\) to {stranger.issuer}"):
            verifier.verify(jwt.encode(provider.claims(), stranger.keys[0].private, "RS256", {"kid": stranger.keys[0].kid}))
        assert stranger.jwks_requests == 0 and stranger.discovery_requests == 0
    finally:
        provider.stop()


@pytest.mark.parametrize("declared", [True, False])
def test_a_jwks_beyond_the_size_bound_is_not_read(declared):
    provider = OidcProvider(jwks_padding_bytes=MAX_FETCH_BYTES + 1, padded_jwks_without_length=not declared).start()
    try:
        verifier = TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID)])
        with pytest.raises(IssuerUnavailable, match=f"at most {MAX_FETCH_BYTES}"):
            verifier.verify(provider.token())
    finally:
        provider.stop()


def test_a_jwks_within_the_bound_is_read_whatever_else_it_carries():
    provider = OidcProvider(jwks_padding_bytes=MAX_FETCH_BYTES // 2, padded_jwks_without_length=True).start()
    try:
        assert TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID)]).verify(provider.token()).caller().subject == "user-1"
    finally:
        provider.stop()
