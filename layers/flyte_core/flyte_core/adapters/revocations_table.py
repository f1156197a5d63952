"""The deny list of revoked tokens (issue 19): written by the tokens function, read by every API
function's auth check (one Query a minute per execution environment)."""

from __future__ import annotations

from datetime import datetime

from ..domain.revocations import Revocation
from .aws import Aws
from .conditions import written
from .models import RevocationModel

REVOKED_LIST = "revoked"


def _to_revocation(model: RevocationModel) -> Revocation:
    return Revocation(
        kind=model.kind,
        value=model.value,
        issuer=model.issuer,
        revoked_at=model.revokedAt,
        revoked_by=model.revokedBy or {},
        reason=model.reason or "",
    )


class RevocationsTable:
    def __init__(self, aws: Aws, table_name: str) -> None:
        meta = aws.pynamodb_meta(table_name)
        self.model: type[RevocationModel] = type("Revocation", (RevocationModel,), {"Meta": meta, "__module__": __name__})

    def put(self, entry: Revocation) -> None:
        """Store (or renew) an entry: revoking again moves its time forward, so a subject's tokens
        minted since the first revocation are refused too."""
        self.model(
            REVOKED_LIST,
            entry.id,
            kind=entry.kind,
            value=entry.value,
            issuer=entry.issuer,
            revokedAt=entry.revoked_at,
            revokedBy=entry.revoked_by,
            reason=entry.reason,
            expiresAt=entry.expires_at,
        ).save()

    def all(self, now: datetime) -> list[Revocation]:
        """Every entry still in force (TTL deletes expired items within days, not at once)."""
        return [
            _to_revocation(model)
            for model in self.model.query(REVOKED_LIST, consistent_read=True)
            if model.expiresAt is None or model.expiresAt > now
        ]

    def delete(self, revocation_id: str) -> bool:
        """Lift an entry; False when there was none."""
        return written(lambda: self.model(REVOKED_LIST, revocation_id).delete(condition=self.model.id.exists()))
