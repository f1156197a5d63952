"""Inbound webhooks (issue 22): managing hooks (their definition and secret kept together in one
Secrets Manager value, `<stack>/hooks/<name>`), and receiving their requests: verified
by the hook's scheme, then stored through the pipeline as an event of the built-in `Webhook` pack
(labels {hook: <name>}) with the sender's delivery id as idempotency key, so a redelivery stores nothing.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from ..domain import hooks, idempotency, times
from ..domain.errors import InvalidInput, KeyReused, NotFound, StateConflict, TooLarge
from ..domain.packs import Pack, pack_id
from ..observability import logger
from . import pipeline, stack_packs

if TYPE_CHECKING:
    from ..adapters import Adapters
    from ..adapters.managed_secrets import ManagedSecrets


def _load(values: ManagedSecrets, name: str) -> tuple[hooks.Hook, str]:
    raw = values.get(name)
    if raw is None:
        raise NotFound(f"No hook {name!r}.")
    document = json.loads(raw)
    return hooks.from_document(document["hook"]), document["secret"]


def _save(values: ManagedSecrets, hook: hooks.Hook, secret: str, create_only: bool = False) -> None:
    value = json.dumps({"hook": hook.as_document(), "secret": secret})
    values.put(hook.name, value, f"Flyte webhook {hook.name} ({hook.scheme})", create_only=create_only)


def create(values: ManagedSecrets, body: Any) -> tuple[hooks.Hook, str]:
    """A new hook and its secret (the admin's, or one made here), shown once."""
    hook = hooks.parse_hook(body, times.format_time(times.now()))
    secret = hooks.check_secret(body.get("secret")) or secrets.token_urlsafe(32)
    try:
        _save(values, hook, secret, create_only=True)
    except StateConflict:
        raise StateConflict(f"Hook {hook.name!r} exists; rotate its secret or delete it first.") from None
    logger.info("hook created", extra={"hook": hook.name, "scheme": hook.scheme})
    return hook, secret


def every(values: ManagedSecrets) -> list[hooks.Hook]:
    return [_load(values, name)[0] for name in values.names()]


def get(values: ManagedSecrets, name: str) -> hooks.Hook:
    return _load(values, hooks.check_name(name))[0]


def rotate(values: ManagedSecrets, name: str, body: Any) -> tuple[hooks.Hook, str]:
    """A new secret for the hook (the admin's, or one made here); the old one stops working at once."""
    hook, _ = _load(values, hooks.check_name(name))
    if body is not None and not isinstance(body, dict):
        raise InvalidInput('A rotation takes {"secret"} or nothing.')
    secret = hooks.check_secret((body or {}).get("secret")) or secrets.token_urlsafe(32)
    _save(values, hook, secret)
    logger.info("hook secret rotated", extra={"hook": hook.name})
    return hook, secret


def delete(values: ManagedSecrets, name: str) -> None:
    if not values.delete(hooks.check_name(name)):
        raise NotFound(f"No hook {name!r}.")
    logger.info("hook deleted", extra={"hook": name})


def receive(
    adapters: Adapters, name: str, header: Callable[[str], str | None], body: bytes, now: datetime | None = None
) -> tuple[str, bool]:
    """Verify and store a request to a hook: (the event's id, whether it was a repeated delivery)."""
    if len(body) > hooks.MAX_BODY_BYTES:
        raise TooLarge(
            f"The request body has {len(body)} bytes; a hook takes at most {hooks.MAX_BODY_BYTES}.", maxBytes=hooks.MAX_BODY_BYTES
        )
    hook, secret = _load(adapters.hook_secrets, hooks.check_name(name))
    hooks.verify(hook, [secret], header, body, now or times.now())
    document = _parse(body, header("Content-Type"))
    event = hooks.event_name(hook, header, document)
    labels = {"hook": hook.name}
    pack = Pack(id=pack_id(hooks.PACK_NAME, labels), name=hooks.PACK_NAME, labels=labels)
    delivery = hooks.delivery_id(hook, header, document)
    if delivery is not None:
        key = f"hook:{delivery}"
        first = idempotency.event_id(pack.id, key)
        if adapters.events_table.write_token(first) is not None:
            logger.info("hook delivery repeated: stored once", extra={"hook": hook.name, "delivery": delivery})
            return first, True
    else:
        key = None
    caller = stack_packs.caller(f"hook/{hook.name}")
    try:
        stored = pipeline.receive_event(
            adapters, pack, event, hooks.payload(hook, header, document), None, caller=caller, idempotency_key=key
        )
    except KeyReused:  # the same delivery id with another body: the first one counts
        assert key is not None
        return idempotency.event_id(pack.id, key), True
    return stored.id, False


def _parse(body: bytes, content_type: str | None) -> Any:
    """The JSON body; a form (GitHub's `payload=` form, Slack's commands) as its fields, `payload` parsed."""
    text = body.decode("utf-8", errors="replace")
    if content_type and content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        fields = {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}
        if set(fields) == {"payload"}:
            text = fields["payload"]
        else:
            return fields
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise InvalidInput("A hook's body must be JSON (or a form whose `payload` field is JSON).") from None
