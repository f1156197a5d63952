"""The auth configuration kept on AWS (moto): the admin mint command reading the stack's secret, and
the policy read from SSM Parameter Store."""

from __future__ import annotations

import json

import pytest

from flyte_core import tokens
from flyte_core.adapters.auth_store import AuthStore
from flyte_core.adapters.aws import Aws
from flyte_core.http.auth.issuer import BuiltInIssuer
from flyte_core.http.auth.tokens import TokenVerifier

SECRET = {"issuer": "urn:flyte:it", "key": "an-integration-test-key-0123456789abcdef"}


@pytest.fixture
def store(settings, aws):
    return AuthStore(Aws(settings.aws))


@pytest.fixture
def cli_environment(aws, monkeypatch):
    """The mint command is a program: it reads where AWS is from its environment, as an admin's shell sets it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint)


def test_mint_prints_a_token_the_stack_accepts(aws, store, cli_environment, capsys):
    arn = aws.client("secretsmanager").create_secret(Name="flyte-it-token", SecretString=json.dumps(SECRET))["ARN"]
    assert (
        tokens.main(
            [
                "mint",
                "--subject",
                "deploy-bot",
                "--claim",
                "groups=sre",
                "--claim",
                "groups=dev",
                "--ttl",
                "1h",
                "--secret-id",
                arn,
            ]
        )
        == 0
    )
    token = capsys.readouterr().out.strip()
    identity = TokenVerifier([BuiltInIssuer.from_secret(store.secret_string(arn))]).verify(token)
    assert identity.caller().subject == "deploy-bot" and identity.claims["groups"] == ["sre", "dev"]
    assert identity.claims["exp"] - identity.claims["iat"] == 3600


def test_mint_explains_what_is_missing(aws, cli_environment, capsys, monkeypatch):
    monkeypatch.delenv("FLYTE_TOKEN_SECRET_ARN", raising=False)
    assert tokens.main(["mint", "--subject", "x"]) == 2  # no secret named
    assert "--secret-id" in capsys.readouterr().err
    assert tokens.main(["mint", "--subject", "x", "--ttl", "1w", "--secret-id", "s"]) == 2
    assert "ttl" in capsys.readouterr().err
    assert tokens.main(["mint", "--subject", "x", "--secret-id", "no-such-secret"]) == 1
    assert "cannot use the token secret" in capsys.readouterr().err


def test_the_policy_parameter_is_read_from_ssm(aws, store):
    aws.client("ssm").put_parameter(Name="/flyte-it/auth-policy", Value="- path: /*\n", Type="String", Overwrite=True)
    assert store.parameter_value("/flyte-it/auth-policy") == "- path: /*\n"


def test_mint_without_a_subject_names_who_minted_it(aws, store, cli_environment, capsys, monkeypatch):
    arn = aws.client("secretsmanager").create_secret(Name="flyte-it-token-2", SecretString=json.dumps(SECRET))["ARN"]
    monkeypatch.setenv("FLYTE_TOKEN_SECRET_ARN", arn)
    monkeypatch.setattr("getpass.getuser", lambda: "ops-admin")
    assert tokens.main(["mint", "--claim", "groups=sre", "--ttl", "30d"]) == 0  # the issue's own example
    identity = TokenVerifier([BuiltInIssuer.from_secret(store.secret_string(arn))]).verify(capsys.readouterr().out.strip())
    assert identity.caller().subject == "ops-admin" and identity.claims["groups"] == "sre"
