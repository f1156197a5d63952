"""Webhook verification (issue 22): each scheme with a good signature, a bad one and a stale timestamp
where it has one; event names and delivery ids as each sender sends them."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from flyte_core.domain import hooks
from flyte_core.domain.errors import InvalidInput, Unverified
from flyte_core.http import web
from tests.webhook_senders import signed_headers, with_bad_signature

SECRET = "s3cret-of-at-least-16"
BODY = json.dumps({"ref": "refs/heads/main", "event": {"type": "app_mention"}}).encode()
NOW = datetime.now(UTC)


def lookup(headers):
    return lambda name: web.header(headers, name)


def hook(scheme, **extra):
    return hooks.parse_hook({"name": "h", "scheme": scheme, **extra}, "2026-01-01T00:00:00Z")


@pytest.mark.parametrize("scheme", hooks.SCHEMES)
def test_a_request_signed_with_the_secret_is_verified_and_any_other_is_not(scheme):
    headers = signed_headers(scheme, SECRET, BODY)
    hooks.verify(hook(scheme), [SECRET], lookup(headers), BODY, NOW)
    with pytest.raises(Unverified, match="not signed"):
        hooks.verify(hook(scheme), [SECRET], lookup(with_bad_signature(scheme, headers)), BODY, NOW)
    with pytest.raises(Unverified):
        hooks.verify(hook(scheme), ["another-secret-entirely"], lookup(headers), BODY, NOW)
    with pytest.raises(Unverified):
        hooks.verify(hook(scheme), [SECRET], lookup({"Content-Type": "application/json"}), BODY, NOW)


@pytest.mark.parametrize("scheme", ["github", "slack", "hmac"])
def test_a_changed_body_does_not_verify(scheme):
    headers = signed_headers(scheme, SECRET, BODY)
    with pytest.raises(Unverified):
        hooks.verify(hook(scheme), [SECRET], lookup(headers), BODY + b" ", NOW)


@pytest.mark.parametrize("scheme", ["slack", "hmac"])
def test_a_stale_timestamp_is_refused_even_when_signed(scheme):
    old = int((NOW - timedelta(minutes=6)).timestamp())
    headers = signed_headers(scheme, SECRET, BODY, timestamp=old)
    with pytest.raises(Unverified, match="stale"):
        hooks.verify(hook(scheme), [SECRET], lookup(headers), BODY, NOW)
    recent = signed_headers(scheme, SECRET, BODY, timestamp=int((NOW - timedelta(minutes=4)).timestamp()))
    hooks.verify(hook(scheme), [SECRET], lookup(recent), BODY, NOW)


@pytest.mark.parametrize("scheme", hooks.SCHEMES)
def test_a_replayed_request_has_the_same_delivery_id(scheme):
    headers = signed_headers(scheme, SECRET, BODY, delivery="d-1")
    first = hooks.delivery_id(hook(scheme), lookup(headers), json.loads(BODY))
    again = hooks.delivery_id(hook(scheme), lookup(dict(headers)), json.loads(BODY))
    assert first is not None and first == again
    other = signed_headers(scheme, SECRET, BODY, delivery="d-2", timestamp=int(NOW.timestamp()) - 1)
    assert hooks.delivery_id(hook(scheme), lookup(other), json.loads(BODY)) != first


def test_event_names_come_from_the_senders_header_or_a_field_or_the_default():
    github = signed_headers("github", SECRET, BODY, event="push")
    assert hooks.event_name(hook("github"), lookup(github), json.loads(BODY)) == "push"
    gitlab = signed_headers("gitlab", SECRET, BODY, event="Push Hook")
    assert hooks.event_name(hook("gitlab"), lookup(gitlab), {}) == "Push Hook"
    assert hooks.event_name(hook("slack"), lookup({}), json.loads(BODY)) == "app_mention"
    assert hooks.event_name(hook("bearer", eventField="ref"), lookup({}), json.loads(BODY)) == "refs/heads/main"
    assert hooks.event_name(hook("bearer", defaultEvent="Alert"), lookup({}), {}) == "Alert"


def test_kept_headers_ride_with_the_body():
    kept = hook("github", keepHeaders=["X-GitHub-Hook-ID"])
    headers = {"X-GitHub-Hook-ID": "42", "X-Other": "no"}
    assert hooks.payload(kept, lookup(headers), {"a": 1}) == {"body": {"a": 1}, "headers": {"X-GitHub-Hook-ID": "42"}}
    assert hooks.payload(hook("github"), lookup(headers), {"a": 1}) == {"a": 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "h"}, "scheme"),
        ({"name": "h", "scheme": "svn"}, "scheme"),
        ({"name": "bad name", "scheme": "github"}, "name"),
        ({"name": "h", "scheme": "github", "secret": "short"}, "secret"),
        ({"name": "h", "scheme": "github", "keepHeaders": ["Authorization"]}, "keepHeaders"),
        ({"name": "h", "scheme": "github", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_hook_is_refused_naming_the_field(body, field):
    with pytest.raises(InvalidInput) as error:
        hooks.parse_hook(body, "2026-01-01T00:00:00Z")
    assert error.value.extra.get("field") == field
