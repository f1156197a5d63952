"""The check every API request passes before it is routed (api-contract §9): policy, bearer token, claims.

Outcomes, as the original answered them (issue 11 item 4); every refusal has a problem+json body:
- no rule for the path: 401;
- the path's rule does not list the method: 405 with `Allow`;
- a rule with claims and no usable `Authorization` header: 401, `WWW-Authenticate: Bearer realm="token"`;
- a token that does not verify: 401, `WWW-Authenticate: Bearer realm="token", error="invalid_token"`;
- a valid token whose claims do not satisfy the rule: 401 without the header;
- a revoked token (its `jti`, or its subject up to a time): 401 with error="invalid_token" (issue 19);
- OPTIONS: never checked.
Tokens are read from the `Authorization` header only; a token in the query string is ignored.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...domain.revocations import Revocation, denying
from .policy import Granted, MethodNotAllowed, NoRule, Policy, PolicyError, claims_satisfied, parse_policy
from .tokens import ConfigurationError, Identity, InvalidToken, Issuer, IssuerUnavailable, OidcIssuer, TokenVerifier

CHALLENGE = 'Bearer realm="token"'
INVALID_TOKEN_CHALLENGE = 'Bearer realm="token", error="invalid_token"'
POLICY_REFRESH_SECONDS = 45  # plus up to 15 s of jitter: a policy kept in SSM applies within a minute of a change
POLICY_RETRY_SECONDS = 5  # after a failed re-read (plus jitter), while the last good policy stays in force
# A cold environment has no policy to fall back on: it tries again within the request, these pauses
# apart (plus jitter, after the SDK's own retries), before answering 503 (issue 21).
POLICY_COLD_BACKOFF_SECONDS = (0.2, 0.6, 1.2)
REVOCATIONS_REFRESH_SECONDS = 30  # plus up to 20 s of jitter: a revocation applies within the minute
REVOCATIONS_RETRY_SECONDS = 5  # after a failed read (plus jitter), while the last list read stays in force
SSM_PREFIX = "ssm:"

log = logging.getLogger(__name__)


class Refused(Exception):
    """The request may not proceed; `status`, `headers` and `detail` make the problem response."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, dict(headers or {})


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization` header: a leading `Bearer ` (any case) is stripped, otherwise
    the whole value is the token (as the original's extractor). None when there is none."""
    if not authorization:
        return None
    token = authorization[7:] if authorization[:7].lower() == "bearer " else authorization
    token = token.strip()
    return token or None


@dataclass(frozen=True)
class AuthSettings:
    policy_source: str  # a file path, or ssm:<parameter name>
    oidc_issuer_url: str
    oidc_client_id: str
    token_secret_id: str  # Secrets Manager id of the built-in issuer's secret
    revocations_table: str = ""  # the deny list (DynamoDB); "" checks none
    # FLYTE_AUTH_REFRESH_SECONDS: how long a warm function keeps the policy, deny list and signing keys
    # before reading them again (jitter included). None: the defaults, within the minute. Tests set a
    # few seconds so that a revocation or rotation shows without waiting out a minute.
    refresh_seconds: float | None = None


def _refresh_seconds(text: str) -> float | None:
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise ConfigurationError(f"FLYTE_AUTH_REFRESH_SECONDS {text!r} must be a number of seconds from 0 to 3600")
    return seconds


def auth_settings(env: Mapping[str, str] | None = None) -> AuthSettings | None:
    """None when auth is off. Fails closed: a partial configuration is an error, never an open API
    (the original silently ran without auth unless all three of its variables were set)."""
    env = os.environ if env is None else env
    settings = AuthSettings(
        policy_source=env.get("FLYTE_AUTH_POLICY_PATH", "").strip(),
        oidc_issuer_url=env.get("FLYTE_OIDC_ISSUER_URL", "").strip(),
        oidc_client_id=env.get("FLYTE_OIDC_ISSUER_CLIENT_ID", "").strip(),
        token_secret_id=env.get("FLYTE_TOKEN_SECRET_ARN", "").strip(),
        revocations_table=env.get("FLYTE_REVOCATIONS_TABLE", "").strip(),
        refresh_seconds=_refresh_seconds(env.get("FLYTE_AUTH_REFRESH_SECONDS", "").strip()),
    )
    if not any((settings.policy_source, settings.oidc_issuer_url, settings.oidc_client_id, settings.token_secret_id)):
        return None
    if not settings.policy_source:
        raise ConfigurationError("a token issuer is configured but FLYTE_AUTH_POLICY_PATH is not set")
    if bool(settings.oidc_issuer_url) != bool(settings.oidc_client_id):
        raise ConfigurationError("FLYTE_OIDC_ISSUER_URL and FLYTE_OIDC_ISSUER_CLIENT_ID must be set together")
    if not settings.oidc_issuer_url and not settings.token_secret_id:
        raise ConfigurationError(
            "FLYTE_AUTH_POLICY_PATH is set but no issuer is (FLYTE_OIDC_ISSUER_URL and "
            "FLYTE_OIDC_ISSUER_CLIENT_ID, or FLYTE_TOKEN_SECRET_ARN)"
        )
    return settings


class PolicySource:
    """The policy, read once from a file, or from an SSM parameter and re-read every minute."""

    def __init__(
        self,
        source: str,
        read_parameter: Callable[[str], str],
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        refresh: tuple[float, float] = (POLICY_REFRESH_SECONDS, 15),  # (seconds, plus up to this jitter)
    ) -> None:
        self._source, self._read_parameter, self._monotonic, self._sleep = source, read_parameter, monotonic, sleep
        self._refresh = refresh
        self._policy: Policy | None = None
        self._text: str | None = None
        self._next_read = 0.0
        self._lock = threading.Lock()
        if not source.startswith(SSM_PREFIX):
            try:
                with open(source, encoding="utf-8") as handle:
                    self._policy = parse_policy(handle.read(), source)
            except OSError as error:
                raise ConfigurationError(f"cannot read the auth policy {source}: {error}") from None

    def current(self) -> Policy:
        if not self._source.startswith(SSM_PREFIX):
            assert self._policy is not None
            return self._policy
        with self._lock:
            if self._policy is None or self._monotonic() >= self._next_read:
                # jittered, so that the warm environments of a fleet do not read SSM in step
                next_read = self._refresh[0] + random.uniform(0, self._refresh[1])
                try:
                    text = self._read()
                except Exception as error:
                    if self._policy is None:
                        raise IssuerUnavailable(f"the auth policy {self._source} cannot be read: {error}") from None
                    log.warning("the auth policy %s cannot be read again; the current one stays: %s", self._source, error)
                    assert self._text is not None  # the policy in force was parsed from it
                    text = self._text
                    next_read = POLICY_RETRY_SECONDS + random.uniform(0, POLICY_RETRY_SECONDS)
                if text != self._text:
                    try:
                        self._policy, self._text = parse_policy(text, self._source), text
                    except PolicyError:
                        if self._policy is None:
                            raise  # nothing good to fall back on: every request fails, loudly
                        # A broken edit keeps the last good policy until it is fixed.
                        log.exception("the edited auth policy is unusable; the previous one stays in force")
                self._next_read = self._monotonic() + next_read
            assert self._policy is not None  # every path above either set one or raised
            return self._policy

    def _read(self) -> str:
        """The parameter's text; with no policy yet (a cold environment), tried again after each pause
        of POLICY_COLD_BACKOFF_SECONDS (a throttled read usually passes a moment later)."""
        name = self._source[len(SSM_PREFIX) :]
        pauses = POLICY_COLD_BACKOFF_SECONDS if self._policy is None else ()
        for pause in pauses:
            try:
                return self._read_parameter(name)
            except Exception as error:
                log.warning("the auth policy %s cannot be read yet; trying again: %s", self._source, error)
                self._sleep(pause + random.uniform(0, pause))
        return self._read_parameter(name)


class RevocationSource:
    """The deny list, read at the first token checked and again every 30-50 s (jittered, so warm
    environments do not read together). A read that fails keeps the list already read and is tried
    again a few seconds later; with no list read yet, tokens cannot be checked (503)."""

    def __init__(
        self,
        read: Callable[[], list[Revocation]],
        monotonic: Callable[[], float] = time.monotonic,
        refresh: tuple[float, float] = (REVOCATIONS_REFRESH_SECONDS, 20),  # (seconds, plus up to this jitter)
    ) -> None:
        self._read, self._monotonic, self._refresh = read, monotonic, refresh
        self._entries: list[Revocation] | None = None
        self._next_read = 0.0
        self._lock = threading.Lock()

    def current(self) -> list[Revocation]:
        with self._lock:
            now = self._monotonic()
            if self._entries is None or now >= self._next_read:
                try:
                    self._entries = self._read()
                    self._next_read = now + self._refresh[0] + random.uniform(0, self._refresh[1])
                except Exception as error:
                    if self._entries is None:
                        raise IssuerUnavailable(f"the list of revoked tokens cannot be read: {error}") from None
                    log.warning("the list of revoked tokens cannot be read again; the last one read stays: %s", error)
                    self._next_read = now + REVOCATIONS_RETRY_SECONDS + random.uniform(0, REVOCATIONS_RETRY_SECONDS)
            return self._entries


class Guard:
    def __init__(
        self,
        policy: Callable[[], Policy],
        verifier: Callable[[], TokenVerifier],
        revocations: Callable[[], list[Revocation]] = list,
    ) -> None:
        self._policy, self._verifier, self._revocations = policy, verifier, revocations

    def check(self, method: str, raw_path: str, authorization: str | None) -> Identity | None:
        """The caller's identity when the rule needed a token, None when it did not; raises Refused."""
        try:
            policy = self._policy()
        except IssuerUnavailable as error:
            raise Refused(503, f"The auth policy cannot be read: {error}.", {"Retry-After": "5"}) from None
        decision = policy.decide(method, raw_path)
        if isinstance(decision, NoRule):
            raise Refused(401, f"No rule of the auth policy covers {raw_path}.")
        if isinstance(decision, MethodNotAllowed):
            raise Refused(405, f"The auth policy does not allow {method} on {raw_path}.", {"Allow": ", ".join(decision.allowed)})
        if not isinstance(decision, Granted) or not decision.rule.needs_token:
            return None
        token = bearer_token(authorization)
        if token is None:
            raise Refused(401, "This request needs a bearer token in the Authorization header.", {"WWW-Authenticate": CHALLENGE})
        try:
            identity = self._verifier().verify(token)
            revoked = denying(self._revocations(), identity.claims)
        except InvalidToken as error:
            raise Refused(
                401, f"The bearer token is not valid: {error}.", {"WWW-Authenticate": INVALID_TOKEN_CHALLENGE}
            ) from None
        except IssuerUnavailable as error:
            raise Refused(
                503, f"The token issuer cannot be reached to verify the token: {error}.", {"Retry-After": "5"}
            ) from None
        if revoked is not None:
            raise Refused(
                401, f"The bearer token is revoked: {revoked.describe()}.", {"WWW-Authenticate": INVALID_TOKEN_CHALLENGE}
            )
        if not claims_satisfied(decision.rule.claims, identity.claims, decision.params):
            raise Refused(401, f"The token's claims do not satisfy the auth policy for {method} {raw_path}.")
        return identity


def build_guard(
    settings: AuthSettings,
    read_parameter: Callable[[str], str],
    read_secret: Callable[[str], str],
    read_revocations: Callable[[str], list[Revocation]] | None = None,
) -> Guard:
    """A guard whose policy, issuers and deny list are loaded as late as possible and then kept for
    the execution environment (refreshed on their own clocks, not read per request)."""
    from .issuer import BuiltInIssuer

    # FLYTE_AUTH_REFRESH_SECONDS, when set, bounds every refresh: three quarters fixed, a quarter jitter.
    given = settings.refresh_seconds
    refresh: dict[str, Any] = {"refresh": (given * 0.75, given * 0.25)} if given else {}
    policy = PolicySource(settings.policy_source, read_parameter, **refresh)
    oidc = OidcIssuer(settings.oidc_issuer_url, settings.oidc_client_id) if settings.oidc_issuer_url else None
    verifier: list[TokenVerifier] = []
    lock = threading.Lock()

    def current_verifier() -> TokenVerifier:
        with lock:
            if not verifier:
                issuers: list[Issuer] = [oidc] if oidc else []
                if settings.token_secret_id:
                    try:
                        secret = read_secret(settings.token_secret_id)
                    except Exception as error:
                        raise IssuerUnavailable(f"the token secret cannot be read: {error}") from None
                    issuers.append(
                        BuiltInIssuer.from_secret(secret, reload=lambda: read_secret(settings.token_secret_id), **refresh)
                    )
                verifier.append(TokenVerifier(issuers))
            return verifier[0]

    if settings.revocations_table and read_revocations is not None:
        table = settings.revocations_table
        revocations = RevocationSource(lambda: read_revocations(table), **refresh)
        return Guard(policy.current, current_verifier, revocations.current)
    return Guard(policy.current, current_verifier)
