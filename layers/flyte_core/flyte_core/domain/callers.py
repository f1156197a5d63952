"""Who makes a request, as the engine checks and records it (issue 19, items 1 and 5).

A caller is whoever a verified token says (issuer and subject: two issuers may share a subject), or
anonymous when the auth policy asked no token for the request. A token may be *bound to one pack*
by its `flyte_pack` claim (`flyte token mint --pack Shell`): such a caller may register only that
pack name, post only its events, take only its actions and post only its results, whatever the
policy lets the token reach. People's tokens carry no such claim and act as today.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import NotAllowed

PACK_CLAIM = "flyte_pack"
ANONYMOUS_SUBJECT = "anonymous"


@dataclass(frozen=True)
class Caller:
    issuer: str = ""
    subject: str = ""
    email: str | None = None
    bound_pack: str | None = None  # the one pack name a pack-bound token may act as
    pack_bound: bool = False  # the token carries the claim (even one that names no usable pack)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Caller:
        email = claims.get("email")
        bound = claims.get(PACK_CLAIM)
        return cls(
            issuer=str(claims.get("iss", "")),
            subject=str(claims.get("sub", "")),
            email=email if isinstance(email, str) and email else None,
            bound_pack=bound if isinstance(bound, str) and bound else None,
            pack_bound=PACK_CLAIM in claims,
        )

    @property
    def anonymous(self) -> bool:
        return not self.subject

    def record(self) -> dict[str, str]:
        """What is stored with a change this caller made: `{iss, sub[, email]}`, or `{sub: anonymous}`
        (no `iss`: no token was read, so no issuer vouches for it)."""
        if self.anonymous:
            return {"sub": ANONYMOUS_SUBJECT}
        return {"iss": self.issuer, "sub": self.subject, **({"email": self.email} if self.email else {})}

    def check_acts_as(self, pack_name: str, doing: str) -> None:
        """NotAllowed (403) when a pack-bound token tries to act as another pack."""
        if not self.pack_bound or self.bound_pack == pack_name:
            return
        bound = f"pack {self.bound_pack!r}" if self.bound_pack else f"no usable pack (its {PACK_CLAIM} claim is not a name)"
        raise NotAllowed(
            f"This token is bound to {bound}; it may not {doing} pack {pack_name!r}.",
            boundPack=self.bound_pack,
            pack=pack_name,
        )


ANONYMOUS = Caller()
