"""The stack's own token issuer, for deployments without an identity provider (issue 11, item 6).

The stack creates a secret (Secrets Manager) holding `{"issuer": "<id>", "key": "<random>"}`; an
admin mints tokens with chosen claims and lifetime (`python -m flyte_core.tokens mint`), and the API
functions verify them with the same key. They are ID-token shaped (iss, aud, sub, iat, nbf, exp, jti)
and go through the same policy as OIDC tokens. HMAC-SHA256 is enough here: whoever can verify can
also mint, and both are the stack itself; the key never leaves Secrets Manager and the functions' memory.

Rotation (issue 19): `python -m flyte_core.tokens rotate --grace 1h` writes a new key and keeps the
previous one valid until the grace period ends (`previousKey`, `previousKeyValidUntil` in the
secret). Tokens name their key (`kid`, a digest of it). A function re-reads the secret about once
a minute, and after a token fails its signature at most once a minute more, so a rotation applies
in every warm function within the minute while a flood of forged tokens cannot become a flood of
Secrets Manager reads. A read that fails keeps the keys already known.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...domain.revocations import MAX_TOKEN_LIFETIME_SECONDS
from .tokens import LEEWAY_SECONDS, BadSignature, ConfigurationError, InvalidToken, decode

AUDIENCE = "flyte"
ALGORITHM = "HS256"
MIN_KEY_LENGTH = 32
KEY_REFRESH_SECONDS = 45  # plus up to 15 s of jitter: every warm function has the current key within the minute
FAILURE_REFRESH_SECONDS = 60  # a bad signature re-reads the secret at most this often
_TTL = re.compile(r"^(\d+)([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

log = logging.getLogger(__name__)


def parse_ttl(text: str, maximum: int = MAX_TOKEN_LIFETIME_SECONDS) -> int:
    """`30d`, `12h`, `15m`, `90s` or plain seconds, at most `maximum` (a token that cannot be
    revoked by waiting is what a deny list has to remember forever)."""
    match = _TTL.match(text.strip())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"ttl {text!r} must be a positive number with an optional unit s, m, h or d (e.g. 30d)")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds > maximum:
        raise ValueError(f"ttl {text!r} is longer than the {maximum // 86400} days a token may live; mint a new one instead")
    return seconds


def key_id(key: bytes) -> str:
    """What a token's `kid` says of its key: a digest, which names the key without revealing it."""
    return hashlib.sha256(key).hexdigest()[:16]


@dataclass(frozen=True)
class SigningKeys:
    """What the token secret holds: the issuer, its key, and during a rotation's grace period the
    previous key with the time (epoch seconds) until which it still verifies."""

    issuer: str
    key: bytes
    previous_key: bytes | None = None
    previous_valid_until: float | None = None

    @classmethod
    def from_secret(cls, secret_string: str) -> SigningKeys:
        try:
            secret = json.loads(secret_string)
            issuer, key = str(secret["issuer"]), str(secret["key"])
            previous = secret.get("previousKey")
            until = secret.get("previousKeyValidUntil")
            keys = cls(
                issuer,
                key.encode("utf-8"),
                str(previous).encode("utf-8") if previous else None,
                float(until) if previous and until is not None else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ConfigurationError('the token secret must be JSON {"issuer": ..., "key": ...}') from None
        if not keys.issuer:
            raise ConfigurationError("the built-in issuer's secret has no issuer")
        if len(keys.key) < MIN_KEY_LENGTH:
            raise ConfigurationError(f"the built-in issuer's key must be at least {MIN_KEY_LENGTH} characters")
        return keys

    def rotated(self, new_key: str, grace_seconds: int, now: float) -> dict[str, Any]:
        """The secret after a rotation: `new_key` signs from now on, this key verifies until the
        grace period ends (a grace of 0 retires it at once)."""
        if len(new_key) < MIN_KEY_LENGTH:
            raise ValueError(f"a key must be at least {MIN_KEY_LENGTH} characters")
        return {
            "issuer": self.issuer,
            "key": new_key,
            "previousKey": self.key.decode("utf-8"),
            "previousKeyValidUntil": int(now + grace_seconds),
        }

    def verifying(self, now: float) -> dict[str, bytes]:
        """The keys a token may be signed with now, by key id."""
        keys = {key_id(self.key): self.key}
        if self.previous_key and (self.previous_valid_until is None or now < self.previous_valid_until):
            keys[key_id(self.previous_key)] = self.previous_key
        return keys


def new_key() -> str:
    return secrets.token_urlsafe(48)  # 64 characters, 384 bits


class BuiltInIssuer:
    def __init__(
        self,
        issuer: str,
        key: str,
        reload: Callable[[], SigningKeys] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._set(SigningKeys.from_secret(json.dumps({"issuer": issuer, "key": key})), reload, monotonic, wall)

    @classmethod
    def from_secret(
        cls,
        secret_string: str,
        reload: Callable[[], str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        refresh: tuple[float, float] = (KEY_REFRESH_SECONDS, 15),  # (seconds, plus up to this jitter)
    ) -> BuiltInIssuer:
        """An issuer from the secret's text; with `reload`, one that re-reads the secret to follow rotations."""
        issuer = cls.__new__(cls)
        reload_keys = (lambda: SigningKeys.from_secret(reload())) if reload else None
        issuer._set(SigningKeys.from_secret(secret_string), reload_keys, monotonic, wall, refresh)
        return issuer

    def _set(
        self,
        keys: SigningKeys,
        reload: Callable[[], SigningKeys] | None,
        monotonic: Callable[[], float],
        wall: Callable[[], float],
        refresh: tuple[float, float] = (KEY_REFRESH_SECONDS, 15),
    ) -> None:
        self.issuer, self._keys, self._reload = keys.issuer, keys, reload
        self._monotonic, self._wall, self._refresh_every = monotonic, wall, refresh
        self._lock = threading.Lock()
        self._next_refresh = monotonic() + refresh[0] + random.uniform(0, refresh[1])
        self._last_failure_refresh: float | None = None

    def _refresh(self) -> bool:
        """Read the secret again; False (keys unchanged) when the read fails."""
        assert self._reload is not None
        try:
            keys = self._reload()
        except Exception as error:  # throttled, unreachable, or an edit that does not parse: keep what works
            log.warning("the token secret cannot be read again; the keys already known stay in use: %s", error)
            return False
        if keys.issuer != self.issuer:
            log.warning("the token secret now names issuer %r; tokens of %r stay the ones accepted", keys.issuer, self.issuer)
            return False
        self._keys = keys
        return True

    def _current_keys(self) -> SigningKeys:
        with self._lock:
            now = self._monotonic()
            if self._reload is not None and now >= self._next_refresh:
                self._refresh()
                self._next_refresh = now + self._refresh_every[0] + random.uniform(0, self._refresh_every[1])
            return self._keys

    def _refresh_after_failure(self) -> bool:
        """After a bad signature: perhaps the key was rotated since the last read. At most once a minute."""
        with self._lock:
            now = self._monotonic()
            if self._reload is None or (
                self._last_failure_refresh is not None and now - self._last_failure_refresh < FAILURE_REFRESH_SECONDS
            ):
                return False
            self._last_failure_refresh = now
            return self._refresh()

    def verify(self, token: str, header: Mapping[str, Any]) -> dict[str, Any]:
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"tokens of {self.issuer} are {ALGORITHM}, not {header.get('alg')!r}")
        try:
            claims = self._verify_with(self._current_keys(), token, header)
        except BadSignature:
            if not self._refresh_after_failure():
                raise
            claims = self._verify_with(self._keys, token, header)
        issued, expires = claims.get("iat"), claims.get("exp")
        if (
            not isinstance(issued, int | float)
            or not isinstance(expires, int | float)
            or expires - issued > MAX_TOKEN_LIFETIME_SECONDS + LEEWAY_SECONDS
        ):
            raise InvalidToken(
                f"the token lives longer than the {MAX_TOKEN_LIFETIME_SECONDS // 86400} days allowed; mint a new one"
            )
        return claims

    def _verify_with(self, keys: SigningKeys, token: str, header: Mapping[str, Any]) -> dict[str, Any]:
        candidates = keys.verifying(self._wall())
        kid = header.get("kid")
        if kid is not None:
            if kid not in candidates:
                raise BadSignature("the token's key is not one of the issuer's current keys (rotated out?)")
            return decode(token, candidates[kid], ALGORITHM, issuer=self.issuer, audience=AUDIENCE)
        for key in candidates.values():  # tokens minted before keys had ids
            try:
                return decode(token, key, ALGORITHM, issuer=self.issuer, audience=AUDIENCE)
            except BadSignature:
                continue
        raise BadSignature("Signature verification failed")

    def mint(self, subject: str, claims: Mapping[str, Any], ttl_seconds: int, now: float | None = None) -> str:
        if not subject:
            raise ValueError("a token needs a subject (who it is for: it is recorded with what it changes)")
        if ttl_seconds > MAX_TOKEN_LIFETIME_SECONDS:
            raise ValueError(f"a token may live at most {MAX_TOKEN_LIFETIME_SECONDS // 86400} days")
        issued = int(time.time() if now is None else now)
        reserved = {"iss", "aud", "sub", "iat", "nbf", "exp", "jti"} & set(claims)
        if reserved:
            raise ValueError(f"claim {sorted(reserved)[0]!r} is set by the issuer")
        payload = {
            **claims,
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        import jwt  # minting is the admin command's business, not an API function's

        return jwt.encode(payload, self._keys.key, algorithm=ALGORITHM, headers={"kid": key_id(self._keys.key)})


def claims_from_pairs(pairs: list[str]) -> dict[str, Any]:
    """`K=V` pairs; a key given more than once becomes a list (`groups=sre groups=dev`). Values stay
    strings: the policy compares strings, and `true` matches a listed "true" as a boolean would."""
    claims: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"claim {pair!r} must be NAME=VALUE")
        name = name.strip()
        if name in claims:
            previous = claims[name]
            claims[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            claims[name] = value
    return claims
