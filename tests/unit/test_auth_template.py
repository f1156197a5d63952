"""template.yaml's auth: secure by default (the Rules assertion), the policy the stack installs, and
what the functions are told."""

from __future__ import annotations

from pathlib import Path

import pytest

from flyte_core.http.auth.guard import auth_settings
from flyte_core.http.auth.policy import parse_policy
from flyte_local import application
from flyte_local.cfn import Resolver, load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
DEFAULTS = {name: str(spec.get("Default", "")) for name, spec in TEMPLATE["Parameters"].items()}


def deployable(**parameters: str) -> bool:
    """Whether CloudFormation's Rules would let `sam deploy` go ahead with these parameters."""
    resolver = Resolver({**DEFAULTS, **parameters, "AWS::StackName": "flyte"}, {}, {}, TEMPLATE["Conditions"])
    return all(resolver.resolve(assertion["Assert"]) for rule in TEMPLATE["Rules"].values() for assertion in rule["Assertions"])


def test_the_default_deployment_uses_the_built_in_issuer():
    assert DEFAULTS["BuiltInTokenIssuer"] == "true" and DEFAULTS["AllowAnonymousAccess"] == "false"
    assert deployable()


@pytest.mark.parametrize(
    ("parameters", "allowed"),
    [
        ({"BuiltInTokenIssuer": "false"}, False),  # no issuer at all: refused
        ({"BuiltInTokenIssuer": "false", "AllowAnonymousAccess": "true"}, True),  # only when said explicitly
        ({"BuiltInTokenIssuer": "false", "OidcIssuerUrl": "https://id.example.com", "OidcClientId": "flyte"}, True),
        ({"OidcIssuerUrl": "https://id.example.com"}, False),  # an issuer needs its client id
    ],
)
def test_a_deployment_without_an_issuer_is_refused_unless_anonymous_access_is_explicit(parameters, allowed):
    assert deployable(**parameters) is allowed


def test_the_installed_policy_is_the_readmes_starting_policy():
    app = application.load("http://moto", {"BuiltInTokenIssuer": "true", "OidcClientId": "flyte-api"})
    (installed,) = app.ssm_parameters.values()
    example = parse_policy((ROOT / "examples" / "auth-policy.yaml").read_text(encoding="utf-8"))
    assert parse_policy(installed["Value"]).rules == example.rules


def test_the_functions_get_the_policy_parameter_and_the_secret_when_the_built_in_issuer_is_on():
    app = application.load("http://moto", {"BuiltInTokenIssuer": "true"})
    for function in ("FlowsFunction", "PackRuntimeFunction", "TakeFunction", "InfoFunction"):
        settings = auth_settings(app.functions[function].environment)
        assert settings is not None
        assert settings.policy_source == f"ssm:/{application.STACK_NAME}/auth-policy"
        assert settings.token_secret_id and not settings.oidc_issuer_url


def test_the_local_stack_is_open_unless_told_otherwise():
    app = application.load("http://moto")
    assert auth_settings(app.functions["FlowsFunction"].environment) is None
    # no token secret nor policy parameter; the one secret is push delivery's key (issue 20)
    assert set(app.secrets) == {f"{application.STACK_NAME}-DeliveryKey"} and not app.ssm_parameters


def test_the_auth_page_shows_the_starting_policy_as_shipped():
    readme = (ROOT / "docs" / "operations" / "auth.md").read_text(encoding="utf-8")  # moved from the README (issue 26)
    block = readme.split("**A policy to start from**", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    example = parse_policy((ROOT / "examples" / "auth-policy.yaml").read_text(encoding="utf-8"))
    assert parse_policy(block).rules == example.rules


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("", True),
        ("https://login.example.com/realms/ops", True),
        ("http://login.example.com", False),
        ("login.example.com", False),
    ],
)
def test_the_issuer_parameter_takes_only_https_urls(url, accepted):
    import re

    assert bool(re.fullmatch(TEMPLATE["Parameters"]["OidcIssuerUrl"]["AllowedPattern"], url)) is accepted
