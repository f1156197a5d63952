"""Secrets referenced by flows (issue 24): managing them (`/v1/secrets`, admins), handing their values
to the pack that takes an action (`reveal`, called by the long-poll take and by push delivery), and
masking values a pack echoes back in its result (`mask_result`).

A value is read from the store only in `reveal` and `mask_result`, i.e. in the functions that answer
packs; nothing this module returns to the API or writes to a table or a log holds one.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ..adapters import Adapters
from ..domain import secrets as rules
from ..domain import times
from ..domain.actions import Action
from ..domain.callers import Caller
from ..domain.errors import NotAllowed, NotFound, StateConflict
from ..domain.events import FATAL, new_event
from ..domain.packs import Pack
from ..observability import logger


class SecretRefused(NotAllowed):
    """A pack took an action whose input references a secret it may not receive: the action has
    ended FATAL with the reason, which names the secret, never its value."""


# --- /v1/secrets ----------------------------------------------------------------------------------


def put(adapters: Adapters, name: str, body: Any, caller: Caller) -> tuple[rules.Secret, bool]:
    """Create or replace (rotate) a secret; returns it and whether it is new. Actions taken after
    this receive the new value; the version's description records who set it."""
    rules.check_name(name)
    upload = rules.parse_upload(body)
    actor = caller.record()
    version = adapters.secret_values.put(name, rules.envelope(upload), rules.describe(upload, actor))
    new = version == 1  # SSM numbers a parameter's versions from 1 (again after a delete)
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


# --- take and result ------------------------------------------------------------------------------


def reveal(adapters: Adapters, pack: Pack, action: Action) -> Any:
    """The input the pack that took `action` receives: its secret references replaced by their current
    values. When a secret is missing or outside its scope for this pack and flow, the action ends FATAL
    with the reason and SecretRefused is raised (the pack gets no command to run)."""
    names = rules.referenced(action.secret_refs)
    if not names:
        return action.input
    values: dict[str, str] = {}
    for name in names:
        stored = adapters.secret_values.get(name)
        if stored is None:
            refuse(adapters, pack, action, f"secret {name!r} does not exist (set it with PUT /v1/secrets/{name})")
        value, scope = rules.open_envelope(stored.value)
        reason = scope.refusal(name, pack.name, pack.labels, action.flow_name)
        if reason:
            refuse(adapters, pack, action, reason)
        values[name] = value
    logger.info("secrets handed to a pack", extra={"actionId": action.id, "packId": pack.id, "secrets": names})
    return rules.substitute(action.input, action.secret_refs, values)


def refuse(adapters: Adapters, pack: Pack, action: Action, reason: str) -> NoReturn:
    detail = f"Action {action.id} was not handed to pack {pack.id!r}: {reason}. The action has ended FATAL."
    result = new_event(FATAL, pack.id, action.pack_name, action.pack_labels, f"{reason}.", action_id=action.id)
    try:
        adapters.actions_table.finish(action, result)
    except StateConflict:
        pass  # it ended meanwhile
    if action.claim_queue_url and action.claim_receipt:
        adapters.action_queues.delete(action.claim_queue_url, action.claim_receipt)
    logger.warning("action refused: secret out of scope", extra={"actionId": action.id, "packId": pack.id, "reason": reason})
    raise SecretRefused(detail, actionId=action.id)


def mask_result(adapters: Adapters, action: Action, payload: Any) -> Any:
    """A result payload with every value of the secrets the action was given replaced by its mask.
    The values are read again now: the current one and the one before it (a value rotated between
    the take and the result)."""
    names = rules.referenced(action.secret_refs)
    if not names:
        return payload
    values: list[tuple[str, str]] = []
    for name in names:
        stored = adapters.secret_values.get(name)
        if stored is None:
            continue
        values.append((name, rules.open_envelope(stored.value)[0]))
        previous = adapters.secret_values.get(name, stored.version - 1) if stored.version > 1 else None
        if previous is not None:
            values.append((name, rules.open_envelope(previous.value)[0]))
    return rules.mask_values(payload, values)
