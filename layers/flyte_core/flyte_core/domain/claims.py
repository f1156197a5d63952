"""The claims language of the authorisation policy (api-contract §9), shared by the HTTP policy and
by flows (`actor:` and `approval.claims` of a step, issue 27): a map of claim name to the values it
may have; any one claim matching is enough.

- a string claim matches when it equals a listed value, a boolean as "true"/"false", a list of
  strings when it shares one element with the listed values; numbers, maps and null never match
  (as in the original);
- names and values starting with ':' stand for the path parameter of that name (policy only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Claims = Mapping[str, tuple[str, ...]]


def parse_claims(value: Any, where: str, error: Callable[[str], Exception] = ValueError) -> dict[str, tuple[str, ...]]:
    """`{name: [value, ...]}` as written in YAML or JSON; `error(message)` naming `where` otherwise."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise error(f"{where}: claims must be a map of claim name to a list of accepted values.")
    claims = {}
    for name, accepted in value.items():
        if isinstance(accepted, str):
            raise error(f"{where}: claims.{name} must be a list, e.g. {name}: [{accepted}].")
        if not isinstance(accepted, list) or not all(isinstance(v, str) for v in accepted):
            raise error(f"{where}: claims.{name} must be a list of values.")
        claims[name] = tuple(accepted)
    return claims


def _substituted(text: str, params: Mapping[str, str]) -> str:
    return params.get(text[1:], "") if text.startswith(":") else text


def _as_strings(value: Any) -> list[str] | None:
    """The held claim as the strings it may match, or None when its type never matches."""
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None  # numbers (JSON numbers never matched in the original), maps, mixed lists, null


def claims_satisfied(required: Claims, held_claims: Mapping[str, Any], params: Mapping[str, str] | None = None) -> bool:
    """True when any one required claim matches (see the module); no requirement is always met."""
    if not required:
        return True
    params = params or {}
    for name, accepted in required.items():
        held = _as_strings(held_claims.get(_substituted(name, params)))
        if held is None:
            continue
        wanted = {_substituted(value, params) for value in accepted}
        if any(value in wanted for value in held):
            return True
    return False


def describe(required: Claims) -> str:
    """`groups: sre, oncall or roles: admin`, for messages."""
    return " or ".join(f"{name}: {', '.join(values)}" for name, values in required.items()) or "anyone"
