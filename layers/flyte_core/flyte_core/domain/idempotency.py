"""Idempotent posts (issue 30): a client sends one `Idempotency-Key` per logical post (the convention
of Stripe and the IETF draft `draft-ietf-httpapi-idempotency-key-header`) and the same key on each
retry. The record such a post creates gets an id derived from the pack (and action) and the key, so
every repeat maps onto the same record, and a token derived from the key and the body, so a repeat
with the same body is recognised as the first request (and answered as it was) while the same key
with another body is refused. No table of keys: the key lives as long as the record it made, which
is the events' retention."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from . import ids, times
from .errors import InvalidInput

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def check_key(raw: str | None) -> str | None:
    """The header's value (None when absent); InvalidInput when it cannot be a key."""
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise InvalidInput(
            f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters (a UUID, say).",
            field=HEADER,
        )
    return key


def event_id(pack_id: str, key: str) -> str:
    """The id of the event a pack posts with this key. Its time part is zero: a repeat cannot know
    when the first request came, and the id must not depend on the body (the same key with another
    body must meet the first event to be refused)."""
    return ids.derived_id(0, "event", pack_id, key)


def result_id(pack_id: str, action_id: str, key: str) -> str:
    """The id of the result event a pack posts for an action with this key."""
    return ids.derived_id(0, "result", pack_id, action_id, key)


def request_token(key: str, name: str, payload: Any, created_at: datetime | None) -> str:
    """What a repeat must send again to be the same request: the key and the body's content."""
    body = json.dumps(
        [key, name, payload, times.format_time(created_at) if created_at else None], sort_keys=True, separators=(",", ":")
    )
    return "k" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:40]
