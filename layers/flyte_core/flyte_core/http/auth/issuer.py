"""The stack's own token issuer, for deployments without an identity provider (issue 11, item 6).

The stack creates a secret (Secrets Manager) holding `{"issuer": "<id>", "key": "<random>"}`; an
admin mints tokens with chosen claims and lifetime (`python -m flyte_core.tokens mint`), and the API
functions verify them with the same key. They are ID-token shaped (iss, aud, sub, iat, nbf, exp) and
go through the same policy as OIDC tokens. HMAC-SHA256 is enough here: whoever can verify can also
mint, and both are the stack itself; the key never leaves Secrets Manager and the functions' memory.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

from .tokens import ConfigurationError, InvalidToken, decode

AUDIENCE = "flyte"
ALGORITHM = "HS256"
MIN_KEY_LENGTH = 32
_TTL = re.compile(r"^(\d+)([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> int:
    """`30d`, `12h`, `15m`, `90s` or plain seconds."""
    match = _TTL.match(text.strip())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"ttl {text!r} must be a positive number with an optional unit s, m, h or d (e.g. 30d)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class BuiltInIssuer:
    def __init__(self, issuer: str, key: str) -> None:
        if not issuer:
            raise ConfigurationError("the built-in issuer's secret has no issuer")
        if len(key) < MIN_KEY_LENGTH:
            raise ConfigurationError(f"the built-in issuer's key must be at least {MIN_KEY_LENGTH} characters")
        self.issuer, self._key = issuer, key.encode("utf-8")

    @classmethod
    def from_secret(cls, secret_string: str) -> BuiltInIssuer:
        try:
            secret = json.loads(secret_string)
            return cls(str(secret["issuer"]), str(secret["key"]))
        except (ValueError, KeyError, TypeError):
            raise ConfigurationError('the token secret must be JSON {"issuer": ..., "key": ...}') from None

    def verify(self, token: str, header: Mapping[str, Any]) -> dict[str, Any]:
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"tokens of {self.issuer} are {ALGORITHM}, not {header.get('alg')!r}")
        return decode(token, self._key, ALGORITHM, issuer=self.issuer, audience=AUDIENCE)

    def mint(self, subject: str, claims: Mapping[str, Any], ttl_seconds: int, now: float | None = None) -> str:
        if not subject:
            raise ValueError("a token needs a subject (who it is for: it is recorded with what it changes)")
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

        return jwt.encode(payload, self._key, algorithm=ALGORITHM)


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
