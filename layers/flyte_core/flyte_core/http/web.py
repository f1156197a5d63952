"""HTTP concerns of the Flyte contract, as pure functions over headers and bodies.

Absolute links built from the request (api-contract §1.1), exact-string content negotiation between JSON and
YAML (api-contract §1.3), and Go-compatible JSON output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..domain import bounds
from ..domain.errors import InvalidInput
from ..domain.times import format_time

if TYPE_CHECKING:
    import yaml

YAML_TYPE = "application/x-yaml"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
YAML_CONTENT_TYPE = "application/x-yaml; charset=utf-8"


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup (API Gateway lower-cases names, other callers may not)."""
    if not headers:
        return None
    name = name.lower()
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


# Every answer of every API function: no browser guesses a type other than the one sent (a stored
# item declared text/plain is never run as script or rendered as HTML).
EVERY_RESPONSE_HEADERS = {"X-Content-Type-Options": "nosniff"}

# A host name or address and an optional port: what may stand between `://` and the path of a link.
_HOST = re.compile(r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
# Headers a proxy in front of the API sets; read only when the deployment says it has such a proxy.
FORWARDED_HOST_HEADERS = ("x-flyte-host", "x-forwarded-host")


def base_url(headers: Mapping[str, str] | None, *, domain_name: str | None = None, trust_forwarded_host: bool = False) -> str:
    """`{proto}://{host}/` (api-contract §1.1): the host the request was sent to (`Host`, else the
    gateway's `domainName`), and the scheme the gateway in front of the function received it on
    (`X-Forwarded-Proto`, which API Gateway and the local gateways set themselves).

    The original also took the host from `X-Flyte-Host` and `X-Forwarded-Host`, which any client may
    send: here only when `trust_forwarded_host` says a proxy in front of the API sets them
    (FLYTE_TRUST_FORWARDED_HOST). Only a scheme of http/https and a host name (or address) with a port
    reach links and `Location`."""
    proto = header(headers, "x-forwarded-proto") or "http"
    proto = proto.split(",")[0].strip().lower()
    if proto not in ("http", "https"):
        raise InvalidInput(f"x-forwarded-proto must be http or https, not {proto[:40]!r}.", field="header x-forwarded-proto")
    names = (*FORWARDED_HOST_HEADERS, "host") if trust_forwarded_host else ("host",)
    candidates = [(name, header(headers, name)) for name in names] + [("domainName", domain_name)]
    for name, value in candidates:
        if value:
            host = value.split(",")[0].strip()
            if not _HOST.fullmatch(host):
                raise InvalidInput(
                    f"The {name} header is not a host name with an optional port: {host[:80]!r}.", field=f"header {name}"
                )
            return f"{proto}://{host}/"
    return f"{proto}://localhost/"


def wants_yaml(accept: str | None) -> bool:
    return accept == YAML_TYPE


def dump_json(value: Any) -> str:
    """JSON as Go's encoder writes it: `<`, `>`, `&` escaped, no spaces."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dump_yaml(value: Any) -> str:
    import yaml  # here, not at the top: only a YAML request or response loads PyYAML

    return yaml.safe_dump(json.loads(dump_json(value)), sort_keys=True, allow_unicode=True, default_flow_style=False)


def render(value: Any, accept: str | None) -> tuple[str, str]:
    """Body and content type for a representation, per the request's Accept header (never more than
    a Lambda response can carry)."""
    if wants_yaml(accept):
        return bounds.check_response_size(dump_yaml(value)), YAML_CONTENT_TYPE
    return bounds.check_response_size(dump_json(value)), JSON_CONTENT_TYPE


def parse_body(body: str | bytes | None, content_type: str | None, *, what: str = "request body") -> Any:
    """Decode a request body: YAML when the content type is exactly application/x-yaml, JSON otherwise.

    YAML follows YAML 1.1 (`yes`/`no` are booleans), as the original's converter does. Both are
    parsed within the bounds of domain.bounds (size, depth, aliases, numbers, Unicode).
    """
    if isinstance(body, bytes):
        bounds.check_document_size(body, what)
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInput(f"The {what} is not UTF-8 text: {error}") from None
    if body is None or not body.strip():
        raise InvalidInput(f"The {what} is empty.")
    if content_type == YAML_TYPE:
        import yaml

        try:
            return bounds.load_yaml(body, what)
        except yaml.YAMLError as error:
            raise _yaml_syntax_error(error, what) from None
    try:
        return bounds.load_json(body, what)
    except json.JSONDecodeError as error:
        hint = ""
        if _reads_as_yaml(body, what):  # the original reads YAML only when told; say how, rather than guess
            hint = f"; it reads as YAML: send it with content-type: {YAML_TYPE}"
        raise InvalidInput(
            f"The {what} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}{hint}.",
            line=error.lineno,
            column=error.colno,
        ) from None


def _yaml_syntax_error(error: yaml.YAMLError, what: str) -> InvalidInput:
    """PyYAML's message on one line, with the 1-based line and column of the problem as fields."""
    mark = getattr(error, "problem_mark", None)
    if mark is None:
        return InvalidInput(f"The {what} is not valid YAML: {_one_line(error)}")
    problem = getattr(error, "problem", None) or "syntax error"
    context = getattr(error, "context", None)
    reason = f"{context}, {problem}" if context else problem
    return InvalidInput(
        f"The {what} is not valid YAML: {reason} at line {mark.line + 1}, column {mark.column + 1}.",
        line=mark.line + 1,
        column=mark.column + 1,
    )


def _reads_as_yaml(body: str, what: str) -> bool:
    """A YAML mapping or list (a bare word is valid YAML too, and means nothing here), read within
    the same bounds as any YAML body."""
    import yaml  # only for a body that is not JSON, to say how to send it

    try:
        return isinstance(bounds.load_yaml(body, what), (dict, list))
    except (yaml.YAMLError, InvalidInput):
        return False


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
