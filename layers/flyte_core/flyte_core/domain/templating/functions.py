"""Flyte's template functions (api-contract §10.6), in one table (name -> function).

Arguments are type-checked like pongo2 checks Go signatures: integer parameters need integers,
string parameters need strings (nil is not a string). Integral floats count as integers.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
import string
from collections.abc import Callable, Mapping
from typing import Any

from .. import secrets
from . import limits
from .errors import TemplateError
from .values import nil_to_none, to_str, type_name

_ALPHABET = string.ascii_lowercase + string.ascii_uppercase
_BASE64_URL = re.compile(r"[A-Za-z0-9_-]*\Z")
_random = random.SystemRandom()


def _integer(name: str, value: Any) -> int:
    value = nil_to_none(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TemplateError(f"{name}: argument must be an integer, not {type_name(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            raise TemplateError(f"{name}: argument must be an integer, not {value!r}")
        value = int(value)
    return value


def _string(name: str, value: Any) -> str:
    value = nil_to_none(value)
    if not isinstance(value, str):
        raise TemplateError(f"{name}: argument must be a string, not {type_name(value)}")
    return value


def random_int(n: Any) -> int:
    bound = _integer("randomInt", n)
    if bound <= 0:
        raise TemplateError("randomInt: invalid argument to Intn (must be > 0)")
    return _random.randrange(bound)


def random_alpha(n: Any) -> str:
    size = _integer("randomAlpha", n)
    if size < 0:
        raise TemplateError("word length must be non-negative")
    limits.check_size(size)
    return "".join(_random.choice(_ALPHABET) for _ in range(size))


def base64_encode(s: Any) -> str:
    """URL-safe alphabet, no padding (Go ``base64.RawURLEncoding``)."""
    data = _string("base64Encode", s).encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def base64_decode(s: Any) -> str:
    text = _string("base64Decode", s).replace("\r", "").replace("\n", "")
    if not _BASE64_URL.match(text) or len(text) % 4 == 1:
        raise TemplateError(f"base64Decode: illegal base64 data in {text[:40]!r}")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TemplateError(f"base64Decode: {exc}") from None
    return data.decode("utf-8", "replace")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON value {name}")


def _json_object(text: str | bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{what}: invalid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise TemplateError(f"{what}: JSON value is not an object")
    return value


def unmarshal_json(s: Any) -> dict[str, Any]:
    return _json_object(_string("unmarshalJson", s), "unmarshalJson")


def datastore(key: Any) -> Any:
    """A JSON item (content type application/json or text/json) as a map, anything else as text."""
    name = _string("datastore", key)
    state = limits.peek()
    cache = state.datastore_cache
    if cache is not None and name in cache:
        return cache[name]
    reader = state.datastore
    if reader is None:
        raise TemplateError(f"datastore({name!r}): the datastore is not available")
    try:
        content_type, raw = reader(name)
    except KeyError:
        raise TemplateError(f"datastore({name!r}): no such item") from None
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if content_type.startswith(("application/json", "text/json")):
        value: Any = _json_object(raw, f"datastore({name!r})")
    else:
        value = raw.decode("utf-8", "replace")
    if state.datastore_cache is None:
        state.datastore_cache = {}
    state.datastore_cache[name] = value
    return value


def template(tpl: Any, ctx: Any) -> str:
    """Render ``tpl`` with the map ``ctx`` as its only variables (plus these functions)."""
    ctx = nil_to_none(ctx)
    if not isinstance(ctx, Mapping):
        raise TemplateError(f"template: the context must be a map, not {type_name(ctx)}")
    from .engine import render_nested  # engine imports this module

    variables = {k: v for k, v in ctx.items() if isinstance(k, str) and k not in FUNCTIONS}
    return render_nested(to_str(nil_to_none(tpl)), variables)


def secret(name: Any) -> str:
    """A reference to a secret (issue 24): a marker the engine masks before storing the input and
    replaces with the value only when a pack takes the action. Allowed in a command's input only,
    written as it is (`{{ secret('name') }}`); upload checks both (`engine.secret_names`)."""
    text = _string("secret", name)
    if not secrets.NAME.match(text):
        raise TemplateError(f"secret: a secret's name is {secrets.NAME_RULE}, not {text!r}")
    if limits.peek().depth != 1:
        raise TemplateError("secret() cannot be used inside template()")
    return secrets.marker(text)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "randomInt": random_int,
    "randomAlpha": random_alpha,
    "base64Encode": base64_encode,
    "base64Decode": base64_decode,
    "datastore": datastore,
    "template": template,
    "unmarshalJson": unmarshal_json,
    "secret": secret,
}
