"""Verifying bearer tokens as ID tokens of a trusted issuer (api-contract §9, item 3 of issue 11).

An OIDC issuer's keys come from its JWKS, found through `<issuer>/.well-known/openid-configuration`,
cached in the execution environment and fetched again when a token names a key id the cache does
not know (at most once a minute, so a stream of made-up `kid`s cannot turn into a stream of
requests to the identity provider), or when the cache is an hour old (a withdrawn key stops being
accepted). A token is accepted only with an algorithm its key declares: never `none`, never HMAC
with a public key.

The stack's own issuer (issuer.py) is verified by the same `TokenVerifier`: a token goes to the
issuer its (not yet trusted) `iss` names, and must then verify with that issuer's keys.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from ...domain.callers import Caller

# PyJWT (and with it cryptography, the larger part of an API function's imports) is imported where a
# token is verified, not here: with auth off, or for a request an open rule lets through, it is not.

LEEWAY_SECONDS = 60  # clock skew tolerated on exp/nbf/iat (go-oidc allowed a minute on nbf)
REFRESH_INTERVAL_SECONDS = 60  # an unknown kid fetches the JWKS again at most this often
KEYS_MAX_AGE_SECONDS = 3600
FETCH_TIMEOUT_SECONDS = 10  # as the original's discovery
# A discovery document or JWKS is a few KB; what is larger is not read (and would be held per environment).
MAX_FETCH_BYTES = 1024 * 1024
REQUIRED_CLAIMS = ("exp", "iss", "aud", "sub")

# Which algorithms a key type can carry when its JWK does not say (`alg` is optional in a JWK).
_ALGORITHMS_BY_KEY_TYPE = {
    "RSA": ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    "EC": ("ES256", "ES384", "ES512", "ES256K"),
    "OKP": ("EdDSA",),
}
_CURVE_ALGORITHM = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512", "secp256k1": "ES256K"}


class InvalidToken(Exception):
    """The token does not verify, or its claims cannot be used: 401 with error="invalid_token"."""


class BadSignature(InvalidToken):
    """The signature does not verify with the key tried (perhaps one this environment does not know yet)."""


class IssuerUnavailable(Exception):
    """The identity provider's discovery document or keys could not be fetched: 503, retry later."""


class ConfigurationError(ValueError):
    """The auth settings cannot work (refused at start-up, as the original refused to start)."""


@dataclass(frozen=True)
class Identity:
    """Who a verified token says the caller is."""

    claims: Mapping[str, Any]

    def caller(self) -> Caller:
        """The caller as the engine checks and records it (issue 19: issuer and subject, pack binding)."""
        return Caller.from_claims(self.claims)


class Issuer(Protocol):
    issuer: str

    def verify(self, token: str, header: Mapping[str, Any]) -> dict[str, Any]: ...


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure_url(url: str, what: str) -> None:
    """https, or plain http to a loopback address (tests and local use only)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and is_loopback(parts.hostname):
        return
    raise ConfigurationError(f"{what} {url!r} must be an https URL (plain http only on a loopback address).")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """The issuer's documents are fetched from the URLs configured or discovered, which were checked
    (https, or http on a loopback address); a redirect would lead elsewhere unchecked: refused."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # urllib's signature
        fp.close()
        raise IssuerUnavailable(f"{req.full_url} redirects ({code}) to {newurl[:200]}; redirects are not followed")


@functools.cache
def _opener() -> urllib.request.OpenerDirector:
    """Built at the first fetch, not at import: its HTTPS handler reads the CA bundle (25-30 ms of every
    API function's cold start), and most environments never fetch an issuer's documents."""
    return urllib.request.build_opener(_RefuseRedirects)


def fetch_json(url: str) -> Any:
    """GET a JSON document of the issuer: no redirect followed, at most MAX_FETCH_BYTES read."""
    require_secure_url(url, "URL")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with _opener().open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > MAX_FETCH_BYTES:
                raise IssuerUnavailable(f"{url}: the answer has {declared} bytes; at most {MAX_FETCH_BYTES} are read")
            body = response.read(MAX_FETCH_BYTES + 1)
            if len(body) > MAX_FETCH_BYTES:
                raise IssuerUnavailable(
                    f"{url}: the answer goes on past {MAX_FETCH_BYTES} bytes; at most {MAX_FETCH_BYTES} are read"
                )
            return json.loads(body)
    except (OSError, ValueError) as error:
        raise IssuerUnavailable(f"{url}: {error}") from None


@dataclass(frozen=True)
class _Key:
    key: Any
    algorithms: frozenset[str]


def _key_algorithms(jwk: Mapping[str, Any], advertised: tuple[str, ...]) -> frozenset[str]:
    """What the key may verify: its own `alg`, else what the issuer advertises for its key type."""
    if isinstance(jwk.get("alg"), str):
        algorithms = {jwk["alg"]}
    else:
        compatible = set(_ALGORITHMS_BY_KEY_TYPE.get(str(jwk.get("kty")), ()))
        if jwk.get("kty") == "EC":
            compatible &= {_CURVE_ALGORITHM.get(str(jwk.get("crv")), "")}
        algorithms = compatible & set(advertised)
    # Only asymmetric signatures for keys the world can read: no HMAC, no `none`.
    return frozenset(a for a in algorithms if a not in ("none",) and not a.startswith("HS"))


class OidcIssuer:
    """An OpenID Connect provider, trusted for ID tokens whose audience contains `client_id`."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        fetch: Callable[[str], Any] = fetch_json,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        require_secure_url(issuer, "FLYTE_OIDC_ISSUER_URL")
        if not client_id:
            raise ConfigurationError("FLYTE_OIDC_ISSUER_CLIENT_ID is empty.")
        self.issuer, self.client_id = issuer, client_id
        self._fetch, self._monotonic = fetch, monotonic
        self._lock = threading.Lock()
        self._jwks_uri: str | None = None
        self._advertised: tuple[str, ...] = ("RS256",)
        self._keys: dict[str | None, _Key] = {}
        self._fetched_at: float | None = None

    def _discover(self) -> None:
        document = self._fetch(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            # go-oidc refused a provider whose document names another issuer: so do we.
            raise IssuerUnavailable(
                f"the discovery document of {self.issuer} names issuer "
                f"{document.get('issuer') if isinstance(document, dict) else None!r}"
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise IssuerUnavailable(f"the discovery document of {self.issuer} has no jwks_uri")
        try:
            require_secure_url(jwks_uri, "jwks_uri")
        except ConfigurationError as error:
            raise IssuerUnavailable(str(error)) from None
        advertised = document.get("id_token_signing_alg_values_supported")
        if isinstance(advertised, list) and all(isinstance(a, str) for a in advertised):
            self._advertised = tuple(advertised)
        self._jwks_uri = jwks_uri

    def _load_keys(self) -> None:
        import jwt

        if self._jwks_uri is None:
            self._discover()
        assert self._jwks_uri is not None
        document = self._fetch(self._jwks_uri)
        self._fetched_at = self._monotonic()
        keys: dict[str | None, _Key] = {}
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
                continue
            algorithms = _key_algorithms(jwk, self._advertised)
            if not algorithms:
                continue
            try:
                key = jwt.PyJWK(jwk, algorithm=sorted(algorithms)[0]).key
            except jwt.PyJWTError:
                continue  # a key we cannot use is not a reason to refuse the others
            keys[jwk.get("kid")] = _Key(key, algorithms)
        self._keys = keys

    def _key_for(self, kid: str | None, algorithm: str) -> _Key:
        with self._lock:
            now = self._monotonic()
            stale = self._fetched_at is None or now - self._fetched_at >= KEYS_MAX_AGE_SECONDS
            unknown = kid is not None and kid not in self._keys
            may_refresh = self._fetched_at is None or now - self._fetched_at >= REFRESH_INTERVAL_SECONDS
            if stale or (unknown and may_refresh):
                self._load_keys()
            if kid is None:
                # No kid: only unambiguous when exactly one key can verify this algorithm.
                candidates = [key for key in self._keys.values() if algorithm in key.algorithms]
                if len(candidates) != 1:
                    raise InvalidToken("the token names no key (kid) and the issuer has no single key for its algorithm")
                return candidates[0]
            if kid not in self._keys:
                raise InvalidToken(f"the token's key id {kid!r} is not one of the issuer's keys")
            return self._keys[kid]

    def verify(self, token: str, header: Mapping[str, Any]) -> dict[str, Any]:
        algorithm = header.get("alg")
        kid = header.get("kid")
        if not isinstance(algorithm, str) or (kid is not None and not isinstance(kid, str)):
            raise InvalidToken("the token header is malformed")
        key = self._key_for(kid, algorithm)
        if algorithm not in key.algorithms:
            raise InvalidToken(f"algorithm {algorithm!r} is not the one the issuer's key declares")
        return decode(token, key.key, algorithm, issuer=self.issuer, audience=self.client_id)


def decode(token: str, key: Any, algorithm: str, *, issuer: str, audience: str) -> dict[str, Any]:
    """Signature, then iss, aud, exp, nbf and iat with the leeway; raises InvalidToken."""
    import jwt

    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=issuer,
            audience=audience,
            leeway=LEEWAY_SECONDS,
            options={"require": list(REQUIRED_CLAIMS), "verify_iat": True},
        )
    except jwt.InvalidSignatureError as error:
        raise BadSignature(str(error)) from None
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    return claims


class TokenVerifier:
    """Every issuer the deployment trusts, by issuer identifier."""

    def __init__(self, issuers: list[Issuer]) -> None:
        if not issuers:
            raise ConfigurationError("auth is on but no token issuer is configured")
        self._issuers = {issuer.issuer: issuer for issuer in issuers}

    def verify(self, token: str) -> Identity:
        import jwt

        try:  # one parse of the unverified token, to know whose keys to verify it with
            unverified = jwt.PyJWT().decode_complete(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise InvalidToken(f"not a JWT: {error}") from None
        header, claims = unverified["header"], unverified["payload"]
        if not isinstance(claims, dict):
            raise InvalidToken("the token's payload is not a JSON object")
        issuer = self._issuers.get(str(claims.get("iss")))
        if issuer is None:
            raise InvalidToken(f"the token's issuer {claims.get('iss')!r} is not trusted")
        return Identity(issuer.verify(token, header))
