"""Inbound webhooks (issue 22): named hooks, each verifying its requests by one scheme, turning a
verified request into an event of the built-in `Webhook` pack (labels `{hook: <name>}`).

Schemes (the sender's own conventions, so no adapter is needed in front):
- `github`: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`; event `X-GitHub-Event`,
  delivery id `X-GitHub-Delivery`.
- `gitlab`: `X-Gitlab-Token: <secret>`; event `X-Gitlab-Event`, delivery id `X-Gitlab-Event-UUID`.
- `slack`: Slack's signed requests, `X-Slack-Signature: v0=<hex HMAC(secret, "v0:<ts>:<body>")>` with
  `X-Slack-Request-Timestamp` no more than 5 minutes off; event the body's `event.type` or `type`,
  delivery id the body's `event_id` (else the signature: a replayed request is the same request).
- `hmac`: a generic signed request, `X-Flyte-Signature: sha256=<hex HMAC(secret, "<ts>.<body>")>` with
  `X-Flyte-Timestamp` (Unix seconds, 5 minutes at most off); event `X-Flyte-Event`, delivery id
  `X-Flyte-Delivery`.
- `bearer`: `Authorization: Bearer <secret>`; event `X-Flyte-Event`, delivery id `X-Flyte-Delivery`.

A hook may name another event header or a body field (`eventField`, dotted) and a default event name;
an `Idempotency-Key` header is a delivery id for every scheme. Secrets are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import bounds
from .errors import InvalidInput, Unverified

PACK_NAME = "Webhook"
SCHEMES = ("github", "gitlab", "slack", "hmac", "bearer")
MAX_SKEW_SECONDS = 300
MAX_BODY_BYTES = bounds.MAX_PAYLOAD_BYTES  # the largest payload an event holds
DEFAULT_EVENT = "Received"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_HEADER = re.compile(r"[A-Za-z0-9-]{1,64}")

# scheme -> (event header, delivery-id header)
_SCHEME_HEADERS = {
    "github": ("X-GitHub-Event", "X-GitHub-Delivery"),
    "gitlab": ("X-Gitlab-Event", "X-Gitlab-Event-UUID"),
    "slack": (None, None),
    "hmac": ("X-Flyte-Event", "X-Flyte-Delivery"),
    "bearer": ("X-Flyte-Event", "X-Flyte-Delivery"),
}


@dataclass(frozen=True)
class Hook:
    name: str
    scheme: str
    event_header: str | None = None
    event_field: str | None = None
    default_event: str = DEFAULT_EVENT
    keep_headers: tuple[str, ...] = ()
    description: str = ""
    created_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_document(self) -> dict[str, Any]:
        """What is kept (with the secret, by the service) and shown."""
        return {
            "name": self.name,
            "scheme": self.scheme,
            "eventHeader": self.event_header,
            "eventField": self.event_field,
            "defaultEvent": self.default_event,
            "keepHeaders": list(self.keep_headers),
            "description": self.description,
            "createdAt": self.created_at,
        }


def check_name(name: Any, field_name: str = "name") -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput(
            f"'{field_name}' must be 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit, got {str(name)[:80]!r}.",
            field=field_name,
        )
    return name


def parse_hook(body: Any, created_at: str) -> Hook:
    """A POST /v1/hooks body: {name, scheme, secret?, eventHeader?, eventField?, defaultEvent?, keepHeaders?, description?}."""
    if not isinstance(body, dict):
        raise InvalidInput('A hook must be a JSON object {"name", "scheme", ...}.')
    known = {"name", "scheme", "secret", "eventHeader", "eventField", "defaultEvent", "keepHeaders", "description"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}; a hook has {', '.join(sorted(known))}.", field=unknown[0])
    name = check_name(body.get("name"))
    scheme = body.get("scheme")
    if scheme not in SCHEMES:
        raise InvalidInput(f"'scheme' must be one of {', '.join(SCHEMES)}, got {str(scheme)[:40]!r}.", field="scheme")
    default_header = _SCHEME_HEADERS[scheme][0]
    event_header = body.get("eventHeader", default_header)
    if event_header is not None and (not isinstance(event_header, str) or not _HEADER.fullmatch(event_header)):
        raise InvalidInput("'eventHeader' must be a header name (letters, digits, '-').", field="eventHeader")
    event_field = body.get("eventField", "event.type" if scheme == "slack" else None)
    if event_field is not None and (not isinstance(event_field, str) or not re.fullmatch(r"[\w-]+(\.[\w-]+)*", event_field)):
        raise InvalidInput("'eventField' must be a dotted path into the JSON body, e.g. event.type.", field="eventField")
    default_event = body.get("defaultEvent", "event_callback" if scheme == "slack" else DEFAULT_EVENT)
    if not isinstance(default_event, str):
        raise InvalidInput("'defaultEvent' must be an event name.", field="defaultEvent")
    bounds.check_name(default_event, "defaultEvent", what="event name", path_segment=False)
    keep = body.get("keepHeaders", [])
    if not isinstance(keep, list) or len(keep) > 20 or not all(isinstance(h, str) and _HEADER.fullmatch(h) for h in keep):
        raise InvalidInput("'keepHeaders' must be a list of at most 20 header names.", field="keepHeaders")
    if any(h.lower() in ("authorization", "x-gitlab-token") for h in keep):
        raise InvalidInput("'keepHeaders' may not keep a header that carries the secret.", field="keepHeaders")
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > 512:
        raise InvalidInput("'description' must be a string of at most 512 characters.", field="description")
    check_secret(body.get("secret"))
    return Hook(
        name=name,
        scheme=scheme,
        event_header=event_header,
        event_field=event_field,
        default_event=default_event,
        keep_headers=tuple(keep),
        description=description,
        created_at=created_at,
    )


def check_secret(secret: Any) -> str | None:
    """A secret the admin sets (None: the engine generates one)."""
    if secret is None:
        return None
    if not isinstance(secret, str) or not 16 <= len(secret) <= 256 or not secret.isprintable():
        raise InvalidInput("'secret' must be 16 to 256 printable characters (or left out: the engine makes one).", field="secret")
    return secret


def from_document(document: Mapping[str, Any]) -> Hook:
    return Hook(
        name=document["name"],
        scheme=document["scheme"],
        event_header=document.get("eventHeader"),
        event_field=document.get("eventField"),
        default_event=document.get("defaultEvent") or DEFAULT_EVENT,
        keep_headers=tuple(document.get("keepHeaders") or ()),
        description=document.get("description") or "",
        created_at=document.get("createdAt"),
    )


def representation(hook: Hook, base: str, secret: str | None = None) -> dict[str, Any]:
    """A hook as the API shows it: the URL to paste into the sender, the secret only when just made."""
    result = {
        **hook.as_document(),
        "url": hook_url(base, hook.name),
        "links": [{"href": hook_url(base, hook.name), "rel": "self"}],
    }
    if secret is not None:
        result["secret"] = secret
    return result


def hook_url(base: str, name: str) -> str:
    return f"{base}v1/hooks/{name}"


# --- receiving ----------------------------------------------------------------------------------------

Headers = Callable[[str], str | None]  # a case-insensitive header lookup


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _fresh(timestamp: str | None, now: datetime, header: str) -> int:
    if timestamp is None or not timestamp.isdigit():
        raise Unverified(f"The {header} header (Unix seconds) is missing or not a number.")
    if abs(now.timestamp() - int(timestamp)) > MAX_SKEW_SECONDS:
        raise Unverified(
            f"The request's {header} is more than {MAX_SKEW_SECONDS // 60} minutes off: a stale or replayed request."
        )
    return int(timestamp)


def verify(hook: Hook, secrets: list[str], header: Headers, body: bytes, now: datetime) -> None:
    """Unverified (401) unless the request carries proof of one of the hook's secrets (the current
    one; during a rotation's grace, the previous one too)."""
    for secret in secrets:
        if _verified(hook.scheme, secret, header, body, now):
            return
    raise Unverified(f"The request to hook {hook.name!r} is not signed with its secret ({hook.scheme} scheme).")


def _verified(scheme: str, secret: str, header: Headers, body: bytes, now: datetime) -> bool:
    if scheme == "github":
        return _same(header("X-Hub-Signature-256"), "sha256=" + _hmac_hex(secret, body))
    if scheme == "gitlab":
        return _same(header("X-Gitlab-Token"), secret)
    if scheme == "bearer":
        return _same(header("Authorization"), f"Bearer {secret}")
    if scheme == "slack":
        timestamp = header("X-Slack-Request-Timestamp")
        signed = _same(header("X-Slack-Signature"), "v0=" + _hmac_hex(secret, f"v0:{timestamp}:".encode() + body))
        if signed:
            _fresh(timestamp, now, "X-Slack-Request-Timestamp")
        return signed
    if scheme == "hmac":
        timestamp = header("X-Flyte-Timestamp")
        signed = _same(header("X-Flyte-Signature"), "sha256=" + _hmac_hex(secret, f"{timestamp}.".encode() + body))
        if signed:
            _fresh(timestamp, now, "X-Flyte-Timestamp")
        return signed
    return False


def event_name(hook: Hook, header: Headers, body: Any) -> str:
    """The event's name: the hook's header, else its body field, else its default."""
    name = header(hook.event_header) if hook.event_header else None
    if not name and hook.event_field:
        value: Any = body
        for part in hook.event_field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        name = value if isinstance(value, str) else None
    name = name or hook.default_event
    bounds.check_name(name, "event", what="event name", path_segment=False)
    return name


def delivery_id(hook: Hook, header: Headers, body: Any) -> str | None:
    """The sender's id of this delivery (a retry sends it again), when it gives one."""
    own = _SCHEME_HEADERS[hook.scheme][1]
    found = (header(own) if own else None) or header("Idempotency-Key")
    if not found and hook.scheme == "slack":
        found = body.get("event_id") if isinstance(body, dict) else None
    if not found:  # a signed request sent again is the same request: its signature names it
        signature = {"github": "X-Hub-Signature-256", "slack": "X-Slack-Signature", "hmac": "X-Flyte-Signature"}.get(hook.scheme)
        found = header(signature) if signature else None
    return str(found)[:255] if found else None


def payload(hook: Hook, header: Headers, body: Any) -> Any:
    """The JSON body; with the headers the hook keeps under `headers` when it keeps any."""
    if not hook.keep_headers:
        return body
    kept = {name: value for name in hook.keep_headers if (value := header(name)) is not None}
    return {"body": body, "headers": kept}
