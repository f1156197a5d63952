"""Identifiers in the original's format: 24 lowercase hex characters, time-ordered like a MongoDB ObjectId."""

from __future__ import annotations

import hashlib
import os
import time


def new_id(at: float | None = None) -> str:
    """A fresh id: 4 bytes of seconds since the epoch, then 8 random bytes."""
    seconds = int(time.time() if at is None else at)
    return f"{seconds & 0xFFFFFFFF:08x}{os.urandom(8).hex()}"


def derived_id(at: float, *parts: str) -> str:
    """A deterministic id for the same parts, so that redelivered work maps onto the same record."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"{int(at) & 0xFFFFFFFF:08x}{digest[:16]}"
