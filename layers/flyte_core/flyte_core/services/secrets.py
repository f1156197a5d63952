"""Secrets referenced by flows (issue 24): managing them (`/v1/secrets`, admins), handing their values
to the pack that takes an action (`reveal`, called by the long-poll take and by push delivery), and
masking values a pack echoes back in its result (`mask_result`).

A value is read from the store only in `reveal` and `mask_result`, i.e. in the functions that answer
packs; nothing this module returns to the API or writes to a table or a log holds one.
"""

from __future__ import annotations

from typing import Any

from ..adapters import Adapters
from ..domain import secrets as rules
from ..domain import times
from ..domain.callers import Caller
from ..domain.errors import NotFound
from ..observability import logger

# --- /v1/secrets ----------------------------------------------------------------------------------


def put(adapters: Adapters, name: str, body: Any, caller: Caller) -> tuple[rules.Secret, bool]:
    """Create or replace (rotate) a secret; returns it and whether it is new. Actions taken after
    this receive the new value; the version's description records who set it."""
    rules.check_name(name)
    upload = rules.parse_upload(body)
    actor = caller.record()
    store = adapters.secret_values
    new = not any(info.name == name for info in store.describe())
    version = store.put(name, rules.envelope(upload), rules.describe(upload, actor))
    logger.info("secret set", extra={"secret": name, "version": version, "by": actor, "rotated": not new})
    return rules.Secret(name, upload.description, upload.scope, actor, times.now(), version), new


def all_secrets(adapters: Adapters) -> list[rules.Secret]:
    return [rules.from_description(i.name, i.description, i.version, i.changed_at) for i in adapters.secret_values.describe()]


def history(adapters: Adapters, name: str) -> list[rules.Secret]:
    """Every kept version of a secret, oldest first: who set it and when (never the value)."""
    rules.check_name(name)
    versions = adapters.secret_values.history(name)
    if not versions:
        raise NotFound(f"No secret {name!r}.")
    return [rules.from_description(name, v.description, v.version, v.changed_at) for v in versions]


def delete(adapters: Adapters, name: str, caller: Caller) -> None:
    rules.check_name(name)
    if not adapters.secret_values.delete(name):
        raise NotFound(f"No secret {name!r}.")
    logger.info("secret deleted", extra={"secret": name, "by": caller.record()})
