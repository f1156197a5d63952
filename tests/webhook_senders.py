"""How each kind of sender signs a webhook request (issue 22), as their documentation says: the
headers a test sends to POST /v1/hooks/{name}."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid


def _hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    scheme: str, secret: str, body: bytes, *, event: str = "push", delivery: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    delivery = delivery or str(uuid.uuid4())
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {"Content-Type": "application/json"}
    if scheme == "github":  # docs.github.com: Validating webhook deliveries
        headers |= {"X-Hub-Signature-256": "sha256=" + _hex(secret, body), "X-GitHub-Event": event, "X-GitHub-Delivery": delivery}
    elif scheme == "gitlab":  # docs.gitlab.com: Webhooks, custom headers
        headers |= {"X-Gitlab-Token": secret, "X-Gitlab-Event": event, "X-Gitlab-Event-UUID": delivery}
    elif scheme == "slack":  # api.slack.com: Verifying requests from Slack
        headers |= {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + _hex(secret, f"v0:{ts}:".encode() + body)}
    elif scheme == "hmac":
        headers |= {
            "X-Flyte-Timestamp": ts,
            "X-Flyte-Signature": "sha256=" + _hex(secret, f"{ts}.".encode() + body),
            "X-Flyte-Event": event,
            "X-Flyte-Delivery": delivery,
        }
    elif scheme == "bearer":
        headers |= {"Authorization": f"Bearer {secret}", "X-Flyte-Event": event, "X-Flyte-Delivery": delivery}
    return headers


def with_bad_signature(scheme: str, headers: dict[str, str]) -> dict[str, str]:
    """The same request signed with another secret."""
    bad = dict(headers)
    for name in ("X-Hub-Signature-256", "X-Slack-Signature", "X-Flyte-Signature"):
        if name in bad:
            prefix = bad[name].split("=", 1)[0]
            bad[name] = f"{prefix}=" + "0" * 64
    if "X-Gitlab-Token" in bad:
        bad["X-Gitlab-Token"] = "not-the-secret-at-all"
    if "Authorization" in bad:
        bad["Authorization"] = "Bearer not-the-secret-at-all"
    return bad
