"""The policy file and its matcher: the original's router syntax, precedence and claim rules (api-contract §9)."""

from __future__ import annotations

import pytest

from flyte_core.http.auth.policy import (
    Granted,
    MethodNotAllowed,
    NoRule,
    PolicyError,
    Unchecked,
    claims_satisfied,
    parse_policy,
)

SPEC_EXAMPLE = """
- path: /*                     # everything else open (no claims = no token needed)
- path: /v1/flows
  methods: [POST]
  claims: {groups: [flow-admins, sre]}
- path: /v1/packs/:packId
  methods: [DELETE]
  claims: {allowedPack: [":packId"], role: [admin]}
"""


def granted_path(policy, method, path):
    decision = policy.decide(method, path)
    assert isinstance(decision, Granted), decision
    return decision.rule.path, dict(decision.params)


def test_the_spec_example_routes_each_request_to_its_rule():
    policy = parse_policy(SPEC_EXAMPLE)
    assert granted_path(policy, "GET", "/health") == ("/*", {})
    assert granted_path(policy, "POST", "/v1/flows") == ("/v1/flows", {})
    assert granted_path(policy, "DELETE", "/v1/packs/Slack") == ("/v1/packs/:packId", {"packId": "Slack"})
    # The path is the static rule's, which lists POST only: 405, not a fall-back to the open `/*`.
    assert policy.decide("GET", "/v1/flows") == MethodNotAllowed(("POST",))
    assert policy.decide("GET", "/v1/packs/Slack") == MethodNotAllowed(("DELETE",))
    # Deeper paths are not the parameter rule's: the wildcard takes them.
    assert granted_path(policy, "POST", "/v1/packs/Slack/events") == ("/*", {})


def test_static_beats_parameter_beats_wildcard_whatever_the_order_in_the_file():
    policy = parse_policy("""
- path: /v1/*
- path: /v1/packs/:packId
- path: /v1/packs/Slack
""")
    assert granted_path(policy, "GET", "/v1/packs/Slack")[0] == "/v1/packs/Slack"
    assert granted_path(policy, "GET", "/v1/packs/Shell") == ("/v1/packs/:packId", {"packId": "Shell"})
    assert granted_path(policy, "GET", "/v1/packs/Shell/events")[0] == "/v1/*"
    assert granted_path(policy, "GET", "/v1/flows")[0] == "/v1/*"


def test_precedence_is_decided_at_the_first_segment_that_differs():
    policy = parse_policy("""
- path: /v1/:kind/take
- path: /v1/packs/*
""")
    # `packs` (static) beats `:kind` at the second segment even though `take` would be static later.
    assert granted_path(policy, "POST", "/v1/packs/take")[0] == "/v1/packs/*"
    assert granted_path(policy, "POST", "/v1/flows/take") == ("/v1/:kind/take", {"kind": "flows"})


def test_a_static_prefix_leading_nowhere_does_not_hide_a_wildcard():
    policy = parse_policy("""
- path: /v1/packs/:packId
  claims: {role: [admin]}
- path: /*
""")
    assert granted_path(policy, "POST", "/v1/packs/a/actions/take")[0] == "/*"


def test_wildcard_mid_path_matches_any_number_of_segments_between():
    policy = parse_policy("""
- path: /v1/packs/*/events
  methods: [POST]
  claims: {pack: [yes]}
- path: /v1/*/result
""")
    assert granted_path(policy, "POST", "/v1/packs/Slack/events")[0] == "/v1/packs/*/events"
    assert granted_path(policy, "POST", "/v1/packs/a/b/c/events")[0] == "/v1/packs/*/events"
    assert granted_path(policy, "POST", "/v1/packs/Slack/actions/1/result")[0] == "/v1/*/result"
    assert isinstance(policy.decide("POST", "/v1/packs/Slack/actions/take"), NoRule)
    assert isinstance(policy.decide("POST", "/v1/packs/Slack/events/extra"), NoRule)


def test_trailing_wildcard_covers_its_own_prefix_and_everything_below():
    policy = parse_policy("- path: /v1/datastore/*\n")
    for path in ("/v1/datastore", "/v1/datastore/", "/v1/datastore/teams", "/v1/datastore/a/b"):
        assert granted_path(policy, "GET", path)[0] == "/v1/datastore/*"
    assert isinstance(policy.decide("GET", "/v1/flows"), NoRule)
    assert isinstance(policy.decide("GET", "/v1/datastorex"), NoRule)


def test_parameters_match_one_segment_and_are_percent_decoded_after_splitting():
    policy = parse_policy("- path: /v1/datastore/:key\n")
    assert granted_path(policy, "GET", "/v1/datastore/team%20a") == ("/v1/datastore/:key", {"key": "team a"})
    # An encoded slash stays inside its segment: it cannot make a one-segment rule cover two.
    assert granted_path(policy, "GET", "/v1/datastore/a%2Fb") == ("/v1/datastore/:key", {"key": "a/b"})
    assert isinstance(policy.decide("GET", "/v1/datastore/a/b"), NoRule)


def test_mid_path_parameters_are_named_per_rule():
    policy = parse_policy("""
- path: /v1/packs/:packId/actions/:actionId/result
  methods: [POST]
""")
    assert granted_path(policy, "POST", "/v1/packs/Shell/actions/42/result") == (
        "/v1/packs/:packId/actions/:actionId/result",
        {"packId": "Shell", "actionId": "42"},
    )


def test_no_matching_rule_is_refused():
    policy = parse_policy("- path: /v1/flows\n")
    assert isinstance(policy.decide("GET", "/health"), NoRule)
    assert isinstance(policy.decide("GET", "/v1/flows/"), NoRule)
    assert isinstance(parse_policy("[]").decide("GET", "/"), NoRule)


def test_methods_omitted_means_every_method_and_head_follows_get():
    policy = parse_policy("""
- path: /v1/flows
- path: /v1/datastore/:key
  methods: [GET, PUT]
""")
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        assert isinstance(policy.decide(method, "/v1/flows"), Granted), method
    assert isinstance(policy.decide("HEAD", "/v1/datastore/x"), Granted)
    assert policy.decide("DELETE", "/v1/datastore/x") == MethodNotAllowed(("GET", "HEAD", "PUT"))


def test_rules_of_one_route_combine_their_methods_and_keep_their_own_claims():
    policy = parse_policy("""
- path: /v1/packs/:packId
  methods: [GET]
- path: /v1/packs/:id
  methods: [DELETE]
  claims: {pack: [":id"]}
""")
    read = policy.decide("GET", "/v1/packs/Slack")
    delete = policy.decide("DELETE", "/v1/packs/Slack")
    assert isinstance(read, Granted) and not read.rule.needs_token and read.params == {"packId": "Slack"}
    assert isinstance(delete, Granted) and delete.rule.claims == {"pack": (":id",)} and delete.params == {"id": "Slack"}
    assert policy.decide("POST", "/v1/packs/Slack") == MethodNotAllowed(("GET", "HEAD", "DELETE"))


def test_options_is_never_checked():
    policy = parse_policy("- path: /v1/flows\n  methods: [POST]\n  claims: {groups: [sre]}\n")
    assert isinstance(policy.decide("OPTIONS", "/v1/flows"), Unchecked)
    assert isinstance(policy.decide("OPTIONS", "/nowhere"), Unchecked)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("{path: /}", "YAML list"),
        ("- methods: [GET]", "'path'"),
        ("- path: v1/flows", "must start with '/'"),
        ("- path: /v1/flows\n  methods: [get]", "'get' is not one of"),
        ("- path: /v1/flows\n  methods: GET", "list of HTTP methods"),
        ("- path: /v1/flows\n  claims: {groups: sre}", "claims.groups must be a list"),
        ("- path: /v1/flows\n  claims: [groups]", "map of claim name"),
        ("- path: /v1/flows\n  claim: {groups: [sre]}", "unknown key 'claim'"),
        ("- path: /v1/pack*", "whole segments"),
        ('- path: "/v1/packs/:"', "parameter segment"),
        ("- path: [", "not valid YAML"),
    ],
)
def test_a_policy_that_cannot_be_used_is_refused_naming_the_problem(text, complaint):
    with pytest.raises(PolicyError, match=complaint.replace("*", r"\*").replace("[", r"\[")):
        parse_policy(text)


def test_claim_values_are_read_as_written():
    rule = parse_policy("- path: /\n  claims: {admin: [true], level: [1], groups: [sre]}\n").rules[0]
    assert rule.claims == {"admin": ("true",), "level": ("1",), "groups": ("sre",)}
    assert rule.needs_token
    assert not parse_policy("- path: /\n  claims: {}\n").rules[0].needs_token


REQUIRED = {"groups": ("sre", "flow-admins"), "admin": ("true",), "level": ("1",)}


@pytest.mark.parametrize(
    ("claims", "satisfied"),
    [
        ({"groups": "sre"}, True),  # a string equal to one listed value
        ({"groups": "dev"}, False),
        ({"groups": ["dev", "flow-admins"]}, True),  # a list sharing one element
        ({"groups": ["dev", "ops"]}, False),
        ({"groups": ["sre", 5]}, False),  # a list with a non-string never matches
        ({"groups": []}, False),
        ({"admin": True}, True),  # booleans compare as "true"/"false"
        ({"admin": False}, False),
        ({"admin": "true"}, True),
        ({"level": 1}, False),  # numbers never match, even when listed
        ({"level": 1.0}, False),
        ({"groups": {"sre": True}}, False),  # maps never match
        ({"groups": None}, False),
        ({}, False),
        ({"other": "sre"}, False),
        ({"groups": "dev", "admin": True}, True),  # any one claim is enough
    ],
)
def test_claim_matching_rules(claims, satisfied):
    assert claims_satisfied(REQUIRED, claims, {}) is satisfied


def test_a_rule_without_claims_is_satisfied_by_anything():
    assert claims_satisfied({}, {}, {})


def test_path_parameters_substitute_claim_values_and_names():
    required = {"allowedPack": (":packId",), ":packId": ("owner",)}
    assert claims_satisfied(required, {"allowedPack": "Slack"}, {"packId": "Slack"})
    assert claims_satisfied(required, {"allowedPack": ["Shell", "Slack"]}, {"packId": "Slack"})
    assert not claims_satisfied(required, {"allowedPack": "Shell"}, {"packId": "Slack"})
    assert claims_satisfied(required, {"Slack": "owner"}, {"packId": "Slack"})  # claim name from the path
    assert not claims_satisfied(required, {"Slack": "viewer"}, {"packId": "Slack"})


def test_a_missing_path_parameter_substitutes_the_empty_string():
    required = {"team": (":team",)}
    assert claims_satisfied(required, {"team": ""}, {})
    assert not claims_satisfied(required, {"team": "sre"}, {})


def test_end_to_end_through_the_parsed_rule():
    policy = parse_policy(SPEC_EXAMPLE)
    decision = policy.decide("DELETE", "/v1/packs/Slack")
    assert isinstance(decision, Granted)
    assert claims_satisfied(decision.rule.claims, {"allowedPack": ["Slack"]}, decision.params)
    assert claims_satisfied(decision.rule.claims, {"role": "admin"}, decision.params)
    assert not claims_satisfied(decision.rule.claims, {"allowedPack": "Shell", "role": "user"}, decision.params)


def test_many_wildcards_match_by_dynamic_programming_and_overlong_paths_match_nothing():
    policy = parse_policy("- path: /*/*/*/*/*/*/x\n")
    assert isinstance(policy.decide("GET", "/a" * 30 + "/x"), Granted)  # tried naively: ~600,000 splits
    assert isinstance(policy.decide("GET", "/a" * 31), NoRule)
    assert isinstance(parse_policy("- path: /*\n").decide("GET", "/a" * 40), NoRule)
