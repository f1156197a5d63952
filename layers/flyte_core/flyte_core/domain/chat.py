"""Who did it in chat (issue 27): the person a chat pack relays, and the claims the admin gives them.

- A chat pack (the Slack pack) posts an event with `chatActor: {user, email}` beside its payload: the
  chat user id and, where the workspace tells it, the verified email. The engine keeps it, on the
  event's `actor` as `chat`, only when the caller may assert it: a token bound (`flyte_pack`) to the
  very pack it posts as, that pack being a chat pack (FLYTE_CHAT_PACKS, default `Slack`), or the
  stack's own Slack function. Anyone else's claim is dropped and kept as `chatDropped` with the
  reason, for the audit.
- The claims of a chat user (groups, roles, ...) come from the admin's identities document, the
  datastore item `chat-identities` (a document the API already manages, versions nothing, guards with
  the auth policy's rules for `/v1/datastore/chat-identities`, and flows can read):

      people:
        - chatUser: U0ALICE            # the chat user id, or
          email: alice@example.com     # the verified email (either matches)
          claims: {groups: [sre], roles: [oncall]}

  A person's claims are those of every entry naming them, plus `chat_user` and `email`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .claims import parse_claims
from .errors import InvalidInput

IDENTITIES_KEY = "chat-identities"  # the datastore item the admin maintains
DEFAULT_CHAT_PACKS = ("Slack",)
BODY_FIELD = "chatActor"
MAX_CHAT_FIELD = 256


@dataclass(frozen=True)
class ChatActor:
    user: str
    email: str = ""

    def record(self) -> dict[str, str]:
        return {"user": self.user, **({"email": self.email} if self.email else {})}


def parse_posted_actor(body: Any) -> ChatActor | None:
    """The `chatActor` of a posted event body (None when absent); InvalidInput when malformed."""
    value = body.get(BODY_FIELD) if isinstance(body, dict) else None
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(f'\'{BODY_FIELD}\' must be an object {{"user", "email"}}.', field=BODY_FIELD)
    user, email = value.get("user"), value.get("email") or ""
    for name, text in (("user", user), ("email", email)):
        if not isinstance(text, str) or len(text) > MAX_CHAT_FIELD:
            raise InvalidInput(
                f"'{BODY_FIELD}.{name}' must be a string of at most {MAX_CHAT_FIELD} characters.", field=f"{BODY_FIELD}.{name}"
            )
    if not user:
        raise InvalidInput(f"'{BODY_FIELD}.user' must name the chat user.", field=f"{BODY_FIELD}.user")
    return ChatActor(user, email)


def with_chat_actor(record: dict[str, Any], claimed: ChatActor | None, trusted: bool, why_not: str) -> dict[str, Any]:
    """The event's actor record with the claimed chat actor: kept as `chat` when `trusted`, else kept
    as `chatDropped` with the reason (it counts for nothing)."""
    if claimed is None:
        return record
    if trusted:
        return {**record, "chat": claimed.record()}
    return {**record, "chatDropped": {**claimed.record(), "reason": why_not}}


def may_assert(caller_bound_pack: str | None, pack_name: str, chat_packs: tuple[str, ...]) -> str | None:
    """None when a caller whose token is bound to `caller_bound_pack` may assert a chat actor for an
    event of `pack_name`; otherwise why not."""
    if pack_name not in chat_packs:
        return f"pack {pack_name!r} is not a chat pack (FLYTE_CHAT_PACKS: {', '.join(chat_packs)})"
    if caller_bound_pack != pack_name:
        return f"only a token bound to pack {pack_name!r} (flyte token mint --pack {pack_name}) may assert a chat actor"
    return None


def event_chat_actor(actor: Mapping[str, Any] | None) -> ChatActor | None:
    """The chat actor the engine accepted on an event (its stored `actor`), if any."""
    chat = (actor or {}).get("chat")
    if not isinstance(chat, dict) or not isinstance(chat.get("user"), str) or not chat["user"]:
        return None
    return ChatActor(chat["user"], chat.get("email") or "")


@dataclass(frozen=True)
class Person:
    chat_user: str = ""
    email: str = ""
    claims: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Identities:
    people: tuple[Person, ...] = ()

    def claims_of(self, actor: ChatActor) -> dict[str, Any]:
        """The claims of a chat actor: `chat_user`, `email` and those the admin gave them."""
        claims: dict[str, Any] = {"chat_user": actor.user}
        if actor.email:
            claims["email"] = actor.email
        for person in self.people:
            if (person.chat_user and person.chat_user == actor.user) or (
                person.email and actor.email and person.email.lower() == actor.email.lower()
            ):
                for name, values in person.claims.items():
                    held = claims.setdefault(name, [])
                    if isinstance(held, list):
                        held.extend(v for v in values if v not in held)
        return claims


NO_IDENTITIES = Identities()


def parse_identities(text: str | bytes) -> Identities:
    """The identities document (YAML or JSON); InvalidInput naming the entry and field."""
    import yaml

    try:
        document = yaml.safe_load(text) if text else None
    except yaml.YAMLError as error:
        raise InvalidInput(f"{IDENTITIES_KEY} is not valid YAML or JSON: {error}", field="value") from None
    if document is None:
        return NO_IDENTITIES
    if not isinstance(document, dict) or not isinstance(document.get("people", []), list):
        raise InvalidInput(f"{IDENTITIES_KEY} must be a map with a list 'people' of {{chatUser, email, claims}}.", field="value")
    unknown = sorted(set(document) - {"people"})
    if unknown:
        raise InvalidInput(f"{IDENTITIES_KEY}: unknown key {unknown[0]!r} (the document has 'people').", field="value")
    people = []
    for index, entry in enumerate(document.get("people") or []):
        where = f"{IDENTITIES_KEY} people[{index}]"
        if not isinstance(entry, dict):
            raise InvalidInput(f"{where} must be a map {{chatUser, email, claims}}.", field="value")
        extra = sorted(set(entry) - {"chatUser", "email", "claims"})
        if extra:
            raise InvalidInput(f"{where}: unknown key {extra[0]!r} (an entry has chatUser, email, claims).", field="value")
        chat_user, email = entry.get("chatUser") or "", entry.get("email") or ""
        if not isinstance(chat_user, str) or not isinstance(email, str) or not (chat_user or email):
            raise InvalidInput(f"{where} must name a chatUser or an email (strings).", field="value")
        claims = parse_claims(entry.get("claims"), where, _invalid_value)
        people.append(Person(chat_user, email, claims))
    return Identities(tuple(people))


def _invalid_value(message: str) -> InvalidInput:
    return InvalidInput(message, field="value")


def check_item(key: str, value: bytes) -> None:
    """InvalidInput (400) when the identities document is stored with a mistake in it."""
    if key == IDENTITIES_KEY:
        parse_identities(value)
