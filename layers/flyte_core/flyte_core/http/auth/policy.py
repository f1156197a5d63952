"""The authorisation policy of the original Flyte (api-contract §9): a YAML list of `{path, methods?, claims?}`
rules matched with the original router's syntax and precedence, and its claim-matching rules.

Pure: no I/O beyond parsing the text handed in.

Path syntax, one rule per path shape:
- static segments match themselves; `:name` matches exactly one segment (its value is the path
  parameter `name`, percent-decoded); `*` matches any number of segments, also none, and may stand
  mid-path (`/v1/packs/*/events` matches `/v1/packs/a/events` and `/v1/packs/a/b/events`).
- When several rules match, the one that is more specific at the first segment where they differ
  wins: static over parameter over wildcard (with backtracking: a static prefix that leads nowhere
  does not hide a wildcard rule that matches).
- The winning path shape decides the methods: if none of its rules lists the request's method the
  answer is 405 (as the original's router), never a fall-back to a less specific rule. `HEAD` is
  authorised like `GET`; a rule without `methods` covers every method except `TRACE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ...domain.claims import Claims, claims_satisfied, parse_claims

# The methods the original accepted in a policy file (anything else refused the start-up).
KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE")
# What a rule without `methods` covers: the original registered it for all but HEAD/OPTIONS/TRACE,
# and its router answered HEAD with the GET handler and OPTIONS without any handler.
ALL_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "CONNECT"})

# No Flyte path has more than 6 segments; a longer one matches no rule, which bounds matching cost.
MAX_SEGMENTS = 32
STATIC, PARAM, WILDCARD = 0, 1, 2  # also the rank of a segment match: lower is more specific


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the rule and field."""


@dataclass(frozen=True)
class Segment:
    kind: int
    text: str  # the static text, or the parameter's name; "" for a wildcard

    @property
    def shape(self) -> str:
        return self.text if self.kind == STATIC else ("*" if self.kind == WILDCARD else ":")


@dataclass(frozen=True)
class Rule:
    path: str
    segments: tuple[Segment, ...]
    methods: frozenset[str]
    claims: Claims = field(default_factory=dict)
    index: int = 0  # position in the file, for messages

    @property
    def shape(self) -> tuple[str, ...]:
        """Rules of one shape are one route of the original's router (parameter names do not count)."""
        return tuple(segment.shape for segment in self.segments)

    @property
    def needs_token(self) -> bool:
        return bool(self.claims)


@dataclass(frozen=True)
class Granted:
    """The request passes the path/method check; `rule.claims` (if any) must still be satisfied."""

    rule: Rule
    params: Mapping[str, str]


@dataclass(frozen=True)
class NoRule:
    """No rule matches the path: 401 (the original's catch-all)."""


@dataclass(frozen=True)
class MethodNotAllowed:
    """The most specific path has rules, none for this method: 405 with `Allow`."""

    allowed: tuple[str, ...]


@dataclass(frozen=True)
class Unchecked:
    """OPTIONS: the original's router answered it without any check."""


Decision = Granted | NoRule | MethodNotAllowed | Unchecked


def _segments(path: str, where: str) -> tuple[Segment, ...]:
    if not path.startswith("/"):
        raise PolicyError(f"{where}: path {path!r} must start with '/'.")
    segments = []
    for text in path[1:].split("/"):
        if text == "*":
            segments.append(Segment(WILDCARD, ""))
        elif text.startswith(":"):
            name = text[1:]
            if not name or ":" in name or "*" in name:
                raise PolicyError(f"{where}: path {path!r} has the parameter segment {text!r}; write ':name' as a whole segment.")
            segments.append(Segment(PARAM, name))
        elif ":" in text or "*" in text:
            raise PolicyError(f"{where}: path {path!r} has {text!r}; ':name' and '*' must be whole segments.")
        else:
            segments.append(Segment(STATIC, text))
    return tuple(segments)


def _methods(value: Any, where: str) -> frozenset[str]:
    if value is None or value == "":
        return ALL_METHODS
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        raise PolicyError(f"{where}: methods must be a list of HTTP methods, e.g. [GET, POST].")
    unknown = [m for m in value if m not in KNOWN_METHODS]
    if unknown:
        raise PolicyError(
            f"{where}: method {unknown[0]!r} is not one of {', '.join(KNOWN_METHODS)} (upper case, as the original required)."
        )
    return frozenset(value)


def parse_policy(text: str | bytes, source: str = "policy") -> Policy:
    """Parses a policy file. Scalars stay the text written (as the original's YAML decoder read them
    into strings): `[true, 1]` accepts the claim values "true" and "1". Unknown keys are refused, so
    that a misspelt `claim:` cannot silently leave a path open."""
    import yaml  # only when auth is on: the policy is the one YAML an API function always reads

    try:
        document = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as error:
        raise PolicyError(f"{source} is not valid YAML: {error}") from None
    if document is None or document == "":
        document = []
    if not isinstance(document, list):
        raise PolicyError(f"{source} must be a YAML list of rules ({{path, methods?, claims?}}).")
    rules = []
    for index, item in enumerate(document):
        where = f"{source} rule {index + 1}"
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not item["path"]:
            raise PolicyError(f"{where}: each rule is a map with a 'path'.")
        unknown = sorted(set(item) - {"path", "methods", "claims"})
        if unknown:
            raise PolicyError(f"{where}: unknown key {unknown[0]!r} (a rule has path, methods, claims).")
        where = f"{where} ({item['path']})"
        rules.append(
            Rule(
                path=item["path"],
                segments=_segments(item["path"], where),
                methods=_methods(item.get("methods"), where),
                claims=parse_claims(item.get("claims"), where, PolicyError),
                index=index,
            )
        )
    return Policy(tuple(rules))


def _best_match(rule: Rule, parts: list[str]) -> tuple[tuple[tuple[int, ...], int], dict[str, str]] | None:
    """The most specific way `rule` matches the path segments, as ((rank per segment, wildcards),
    parameters), or None. Ranks compare segment by segment (lower is more specific); an empty
    wildcard still makes a rule less specific than one without. Dynamic programming over (pattern
    position, path position), so a rule with several `*` costs polynomial time on any path."""
    pattern = rule.segments
    memo: dict[tuple[int, int], tuple[tuple[int, ...], dict[str, str]] | None] = {}

    def best(i: int, j: int) -> tuple[tuple[int, ...], dict[str, str]] | None:
        if (i, j) in memo:
            return memo[(i, j)]
        result: tuple[tuple[int, ...], dict[str, str]] | None = None
        if i == len(pattern):
            result = ((), {}) if j == len(parts) else None
        elif pattern[i].kind == WILDCARD:
            for taken in range(len(parts) - j + 1):
                rest = best(i + 1, j + taken)
                if rest is not None:
                    candidate = ((WILDCARD,) * taken + rest[0], rest[1])
                    if result is None or candidate[0] < result[0]:
                        result = candidate
        elif j < len(parts) and (pattern[i].kind == PARAM or unquote(parts[j]) == pattern[i].text):
            rest = best(i + 1, j + 1)
            if rest is not None:
                params = {pattern[i].text: unquote(parts[j]), **rest[1]} if pattern[i].kind == PARAM else rest[1]
                result = ((pattern[i].kind,) + rest[0], params)
        memo[(i, j)] = result
        return result

    found = best(0, 0)
    if found is None:
        return None
    return (found[0], sum(1 for s in pattern if s.kind == WILDCARD)), found[1]


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...]

    def decide(self, method: str, raw_path: str) -> Decision:
        """Which rule governs `method raw_path` (the path as sent, still percent-encoded)."""
        method = method.upper()
        if method == "OPTIONS":
            return Unchecked()
        parts = raw_path[1:].split("/") if raw_path.startswith("/") else raw_path.split("/")
        if len(parts) > MAX_SEGMENTS:
            return NoRule()
        best_key, shape = None, None
        for rule in self.rules:
            match = _best_match(rule, parts)
            if match is not None and (best_key is None or match[0] < best_key):
                best_key, shape = match[0], rule.shape
        if shape is None:
            return NoRule()
        route = [rule for rule in self.rules if rule.shape == shape]
        wanted = "GET" if method == "HEAD" else method
        for rule in reversed(route):  # a later rule for the same route and method replaced an earlier one
            if wanted in rule.methods:
                match = _best_match(rule, parts)
                assert match is not None  # same shape, so it matches as well
                return Granted(rule, match[1])
        allowed = set().union(*(rule.methods for rule in route))
        if "GET" in allowed:
            allowed.add("HEAD")
        return MethodNotAllowed(tuple(m for m in KNOWN_METHODS if m in allowed))


__all__ = [
    "Decision",
    "Granted",
    "MethodNotAllowed",
    "NoRule",
    "Policy",
    "PolicyError",
    "Rule",
    "Unchecked",
    "claims_satisfied",
    "parse_policy",
]
