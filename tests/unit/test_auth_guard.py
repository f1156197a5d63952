"""The request check: every outcome of api-contract §9 with its status and header, the settings that turn it on
(failing closed), and a policy kept in SSM that changes without a redeploy."""

from __future__ import annotations

import pytest

from flyte_core.http.auth.guard import (
    CHALLENGE,
    INVALID_TOKEN_CHALLENGE,
    Guard,
    PolicySource,
    Refused,
    auth_settings,
    bearer_token,
    build_guard,
)
from flyte_core.http.auth.policy import PolicyError, parse_policy
from flyte_core.http.auth.tokens import ConfigurationError, OidcIssuer, TokenVerifier
from tests.oidc import CLIENT_ID, OidcProvider

POLICY = """
- path: /health
  methods: [GET]
- path: /v1/flows
  methods: [GET, POST]
  claims: {groups: [flow-admins]}
- path: /v1/packs/:packId/*
  claims: {pack: [":packId"]}
"""


@pytest.fixture(scope="module")
def guard(provider):
    verifier = TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID)])
    policy = parse_policy(POLICY)
    return Guard(lambda: policy, lambda: verifier)


def refusal(guard, method, path, authorization=None):
    with pytest.raises(Refused) as caught:
        guard.check(method, path, authorization)
    return caught.value.status, caught.value.headers


def test_an_open_rule_needs_no_token_and_ignores_a_bad_one(guard):
    assert guard.check("GET", "/health", None) is None
    assert guard.check("GET", "/health", "Bearer garbage") is None


def test_a_valid_token_with_a_matching_claim_passes_and_names_the_caller(guard, provider):
    identity = guard.check("POST", "/v1/flows", f"Bearer {provider.token(sub='alice', groups=['flow-admins'])}")
    assert identity.caller().subject == "alice"


@pytest.mark.parametrize("prefix", ["Bearer ", "bearer ", "BEARER ", ""])
def test_the_bearer_prefix_is_optional_and_case_insensitive(guard, provider, prefix):
    assert guard.check("GET", "/v1/flows", prefix + provider.token(groups="flow-admins")).caller().subject == "user-1"


def test_no_rule_is_401_without_a_challenge(guard):
    assert refusal(guard, "GET", "/v1/datastore") == (401, {})


def test_a_method_the_rule_does_not_list_is_405_with_allow(guard):
    assert refusal(guard, "DELETE", "/v1/flows") == (405, {"Allow": "GET, HEAD, POST"})


@pytest.mark.parametrize("authorization", [None, "", "Bearer ", "bearer    "])
def test_a_missing_or_empty_bearer_is_401_with_the_realm_challenge(guard, authorization):
    assert refusal(guard, "GET", "/v1/flows", authorization) == (401, {"WWW-Authenticate": CHALLENGE})


def test_an_invalid_token_is_401_with_the_invalid_token_challenge(guard, provider):
    for token in (provider.unsigned_token(groups="flow-admins"), provider.token(aud="x", groups="flow-admins"), "x.y.z"):
        assert refusal(guard, "GET", "/v1/flows", f"Bearer {token}") == (401, {"WWW-Authenticate": INVALID_TOKEN_CHALLENGE})


def test_unsatisfied_claims_are_401_without_a_challenge(guard, provider):
    assert refusal(guard, "GET", "/v1/flows", f"Bearer {provider.token(groups=['dev'])}") == (401, {})


def test_path_parameters_feed_the_claims(guard, provider):
    token = provider.token(pack="Slack")
    assert guard.check("POST", "/v1/packs/Slack/events", f"Bearer {token}").claims["pack"] == "Slack"
    assert refusal(guard, "POST", "/v1/packs/Shell/events", f"Bearer {token}") == (401, {})


def test_options_is_not_checked(guard):
    assert guard.check("OPTIONS", "/v1/flows", None) is None
    assert guard.check("OPTIONS", "/anything", None) is None


def test_an_unreachable_issuer_is_503_not_a_bad_token():
    provider = OidcProvider().start()
    token = provider.token(groups="flow-admins")
    provider.stop()
    verifier = TokenVerifier([OidcIssuer(provider.issuer, CLIENT_ID)])
    policy = parse_policy(POLICY)
    status, headers = refusal(Guard(lambda: policy, lambda: verifier), "GET", "/v1/flows", f"Bearer {token}")
    assert status == 503 and "Retry-After" in headers


def test_bearer_token_extraction():
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bEaReR abc") == "abc"
    assert bearer_token("abc") == "abc"
    assert bearer_token("Basic dXNlcg==") == "Basic dXNlcg=="  # the whole value, which then fails to verify
    assert bearer_token(None) is None and bearer_token("Bearer") == "Bearer"


def test_auth_is_off_without_any_variable_and_on_with_the_originals_three():
    assert auth_settings({}) is None
    on = auth_settings(
        {
            "FLYTE_AUTH_POLICY_PATH": "p.yaml",
            "FLYTE_OIDC_ISSUER_URL": "https://id.example.com",
            "FLYTE_OIDC_ISSUER_CLIENT_ID": "flyte",
        }
    )
    assert on is not None and on.oidc_client_id == "flyte"
    assert auth_settings({"FLYTE_AUTH_POLICY_PATH": "ssm:/p", "FLYTE_TOKEN_SECRET_ARN": "arn:secret"}) is not None


@pytest.mark.parametrize(
    "env",
    [
        {"FLYTE_AUTH_POLICY_PATH": "p.yaml"},
        {"FLYTE_OIDC_ISSUER_URL": "https://id.example.com", "FLYTE_OIDC_ISSUER_CLIENT_ID": "flyte"},
        {"FLYTE_AUTH_POLICY_PATH": "p.yaml", "FLYTE_OIDC_ISSUER_URL": "https://id.example.com"},
        {"FLYTE_AUTH_POLICY_PATH": "p.yaml", "FLYTE_OIDC_ISSUER_CLIENT_ID": "flyte"},
    ],
)
def test_a_partial_configuration_fails_closed(env):
    with pytest.raises(ConfigurationError):
        auth_settings(env)


def test_a_policy_file_that_is_missing_or_broken_stops_the_start(tmp_path):
    with pytest.raises(ConfigurationError, match="cannot read"):
        PolicySource(str(tmp_path / "missing.yaml"), read_parameter=lambda name: "")
    broken = tmp_path / "broken.yaml"
    broken.write_text("- path: v1\n")
    with pytest.raises(PolicyError):
        PolicySource(str(broken), read_parameter=lambda name: "")


def test_a_policy_in_ssm_is_read_again_after_a_minute_and_a_broken_edit_keeps_the_last_good_one():
    clock, texts, reads = [0.0], ["- path: /health\n"], []

    def read(name):
        reads.append(name)
        return texts[0]

    source = PolicySource("ssm:/flyte/policy", read, monotonic=lambda: clock[0])
    assert source.current().rules[0].path == "/health"
    texts[0] = "- path: /v1\n"
    clock[0] += 30
    assert source.current().rules[0].path == "/health" and reads == ["/flyte/policy"]
    clock[0] += 30
    assert source.current().rules[0].path == "/v1"
    texts[0] = "- path: broken\n"
    clock[0] += 60
    assert source.current().rules[0].path == "/v1"  # the last good policy stays
    texts[0] = "- path: /fixed\n"
    clock[0] += 60
    assert source.current().rules[0].path == "/fixed"


def test_a_broken_policy_in_ssm_with_nothing_to_fall_back_on_refuses_everything():
    with pytest.raises(PolicyError):
        PolicySource("ssm:/p", lambda name: "- path: broken\n").current()


def test_the_built_in_issuer_secret_is_read_once_on_the_first_token(provider, tmp_path):
    from flyte_core.http.auth.issuer import BuiltInIssuer

    secret = '{"issuer": "urn:flyte:t", "key": "0123456789abcdef0123456789abcdef-key"}'
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text("- path: /*\n  claims: {groups: [sre]}\n")
    reads = []
    settings = auth_settings({"FLYTE_AUTH_POLICY_PATH": str(policy_file), "FLYTE_TOKEN_SECRET_ARN": "arn:s"})
    guard = build_guard(settings, read_parameter=lambda name: "", read_secret=lambda arn: reads.append(arn) or secret)
    assert reads == []
    token = BuiltInIssuer.from_secret(secret).mint("ops", {"groups": "sre"}, 60)
    assert guard.check("GET", "/v1/flows", f"Bearer {token}").caller().subject == "ops"
    assert guard.check("GET", "/v1/packs", f"Bearer {token}").caller().subject == "ops"
    assert reads == ["arn:s"]


def test_an_unreadable_policy_parameter_keeps_the_current_policy_or_answers_503():
    clock, fail = [0.0], [False]

    def read(name):
        if fail[0]:
            raise OSError("SSM is down")
        return "- path: /health\n"

    source = PolicySource("ssm:/p", read, monotonic=lambda: clock[0])
    assert source.current().rules[0].path == "/health"
    fail[0], clock[0] = True, 120.0
    assert source.current().rules[0].path == "/health"
    guard = Guard(PolicySource("ssm:/p", read, sleep=lambda seconds: None).current, lambda: None)
    assert refusal(guard, "GET", "/health")[0] == 503


def test_a_cold_environment_whose_first_policy_read_is_throttled_tries_again_before_answering_503():
    """Issue 21: at thousands of environments SSM throttles some reads. A cold one has no policy to
    fall back on, so it tries again a few times, with growing jittered pauses, within the request."""
    failures, pauses = [2], []

    def read(name):
        if failures[0]:
            failures[0] -= 1
            raise OSError("ThrottlingException: Rate exceeded")
        return "- path: /health\n"

    source = PolicySource("ssm:/p", read, sleep=pauses.append)
    assert source.current().rules[0].path == "/health"
    assert len(pauses) == 2 and pauses[0] < pauses[1] and sum(pauses) < 3


def test_a_warm_environment_rereads_the_policy_jittered_within_the_minute_and_soon_after_a_failed_read():
    clock, reads, fail = [0.0], [], [False]

    def read(name):
        reads.append(clock[0])
        if fail[0]:
            raise OSError("ThrottlingException")
        return "- path: /health\n"

    source = PolicySource("ssm:/p", read, monotonic=lambda: clock[0], sleep=lambda seconds: None)
    due = []
    for _ in range(20):  # environments started at once spread their next reads over 45-60 s
        clock[0] = 0.0
        fresh = PolicySource("ssm:/p", read, monotonic=lambda: clock[0], sleep=lambda seconds: None)
        fresh.current()
        for second in range(1, 62):
            clock[0] = float(second)
            fresh.current()
            if reads[-1] == second:
                due.append(second)
                break
    assert len(due) == 20 and min(due) >= 45 and max(due) <= 60 and len(set(due)) > 3
    clock[0] = 0.0
    source.current()
    fail[0], clock[0] = True, 61.0
    assert source.current().rules[0].path == "/health"  # throttled: the last good policy stays
    fail[0], clock[0] = False, 72.0
    source.current()
    assert reads[-1] == 72.0  # read again within ten seconds of the failed read, not a minute later


def test_flyte_auth_refresh_seconds_shortens_every_reread_and_refuses_what_is_not_seconds():
    base = {"FLYTE_AUTH_POLICY_PATH": "ssm:/p", "FLYTE_TOKEN_SECRET_ARN": "arn:secret"}
    default = auth_settings(base)
    assert default is not None and default.refresh_seconds is None  # production: within the minute
    for bad in ("0", "-4", "soon", "3601"):
        with pytest.raises(ConfigurationError, match="FLYTE_AUTH_REFRESH_SECONDS"):
            auth_settings({**base, "FLYTE_AUTH_REFRESH_SECONDS": bad})
    short = auth_settings({**base, "FLYTE_AUTH_REFRESH_SECONDS": "4"})
    assert short is not None and short.refresh_seconds == 4.0

    clock, reads = [0.0], []

    def read_parameter(name):
        reads.append(("policy", clock[0]))
        return "- path: /health\n"

    guard = build_guard(short, read_parameter, read_secret=lambda secret_id: "unused")
    guard.check("GET", "/health", None)
    assert len(reads) == 1
    policies = [PolicySource("ssm:/p", read_parameter, monotonic=lambda: clock[0], refresh=(3.0, 1.0)) for _ in range(10)]
    for policy in policies:
        policy.current()
    clock[0] = 4.0  # 3 s plus up to 1 s of jitter: every one has read again by now
    for policy in policies:
        policy.current()
    assert [when for what, when in reads].count(4.0) == 10
