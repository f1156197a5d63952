"""Revoked tokens (issue 19, item 2): a deny list of token ids (`jti`) and subjects.

- A `jti` entry refuses that one token.
- A `sub` entry refuses every token of that subject issued up to the moment it was revoked (its
  `iat`); tokens minted for the same subject afterwards work. It names an issuer, or applies to the
  subject under every issuer.

Entries expire when every token they can refuse has expired anyway: the built-in issuer mints no
token that lives longer than MAX_TOKEN_LIFETIME_SECONDS and refuses any that claims to, so an entry
is kept for that long (plus the verifier's leeway) after it was made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from . import bounds
from .errors import InvalidInput
from .links import link, segment
from .times import format_time

MAX_TOKEN_LIFETIME_SECONDS = 90 * 86400  # the longest a built-in token may live (minting refuses more)
KEPT_FOR = timedelta(seconds=MAX_TOKEN_LIFETIME_SECONDS + 86400)  # a day beyond, for clock skew and leeway
KINDS = ("jti", "sub")
MAX_REASON_CHARACTERS = 500


@dataclass(frozen=True)
class Revocation:
    kind: str  # "jti" or "sub"
    value: str
    issuer: str | None  # a `sub` entry for one issuer; None: any issuer
    revoked_at: datetime
    revoked_by: dict[str, str]
    reason: str = ""

    @property
    def id(self) -> str:
        """Stable for what it refuses, so revoking the same thing twice is one entry."""
        return revocation_id(self.kind, self.value, self.issuer)

    @property
    def expires_at(self) -> datetime:
        return self.revoked_at + KEPT_FOR

    def denies(self, claims: Mapping[str, Any]) -> bool:
        if self.kind == "jti":
            return claims.get("jti") == self.value
        if claims.get("sub") != self.value or (self.issuer is not None and claims.get("iss") != self.issuer):
            return False
        issued = claims.get("iat")
        # A token that does not say when it was issued cannot show it came after the revocation.
        return not isinstance(issued, int | float) or issued <= self.revoked_at.timestamp()

    def describe(self) -> str:
        if self.kind == "jti":
            return f"token id {self.value!r} revoked at {format_time(self.revoked_at)}"
        return f"tokens of subject {self.value!r} issued up to {format_time(self.revoked_at)} revoked"


def revocation_id(kind: str, value: str, issuer: str | None) -> str:
    return hashlib.sha256(f"{kind}\x00{issuer or ''}\x00{value}".encode()).hexdigest()[:24]


def denying(revocations: Iterable[Revocation], claims: Mapping[str, Any]) -> Revocation | None:
    """The first entry that refuses a token with these (verified) claims, None when none does."""
    return next((entry for entry in revocations if entry.denies(claims)), None)


def parse_revocation(body: Any, revoked_by: dict[str, str], now: datetime) -> Revocation:
    """A `POST /v1/tokens/revocations` body: `{"jti": ...}` or `{"sub": ..., "iss"?: ...}`, and an
    optional `reason`."""
    if not isinstance(body, dict):
        raise InvalidInput('A revocation must be a JSON object: {"jti": "..."} or {"sub": "...", "iss": "..."}.')
    unknown = sorted(set(body) - {"jti", "sub", "iss", "reason"})
    if unknown:
        raise InvalidInput(
            f"Unknown member {unknown[0]!r}: a revocation has jti, or sub (and iss), and reason.", field=unknown[0]
        )
    named = [kind for kind in KINDS if kind in body]
    if len(named) != 1:
        raise InvalidInput("Name exactly one of 'jti' (one token) or 'sub' (every token of a subject issued so far).")
    kind = named[0]
    value = bounds.check_name(body[kind], kind, what=f"token {kind}", path_segment=False)
    issuer = body.get("iss")
    if issuer is not None:
        if kind != "sub":
            raise InvalidInput("'iss' goes with 'sub' (a token id is unique on its own).", field="iss")
        issuer = bounds.check_name(issuer, "iss", what="issuer", path_segment=False)
    reason = body.get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON_CHARACTERS:
        raise InvalidInput(f"'reason' must be a string of at most {MAX_REASON_CHARACTERS} characters.", field="reason")
    return Revocation(kind, value, issuer, now, revoked_by, reason)


def revocation_url(base: str, revocation_id: str) -> str:
    return f"{base}v1/tokens/revocations/{segment(revocation_id)}"


def representation(entry: Revocation, base: str) -> dict[str, Any]:
    return {
        "id": entry.id,
        entry.kind: entry.value,
        **({"iss": entry.issuer} if entry.issuer else {}),
        "reason": entry.reason,
        "revokedAt": format_time(entry.revoked_at),
        "revokedBy": entry.revoked_by,
        "expiresAt": format_time(entry.expires_at),
        "links": [link(revocation_url(base, entry.id), "self")],
    }


def list_representation(entries: Iterable[Revocation], base: str) -> dict[str, Any]:
    return {
        "revocations": [representation(entry, base) for entry in sorted(entries, key=lambda e: e.revoked_at, reverse=True)],
        "links": [link(f"{base}v1/tokens/revocations", "self"), link(f"{base}v1", "up")],
    }
