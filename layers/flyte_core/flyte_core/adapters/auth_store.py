"""Where the auth configuration is kept on AWS: the policy in SSM Parameter Store (editable without a
redeploy) and the built-in issuer's signing secret in Secrets Manager."""

from __future__ import annotations

from .aws import client


def parameter_value(name: str) -> str:
    return client("ssm").get_parameter(Name=name)["Parameter"]["Value"]


def secret_string(secret_id: str) -> str:
    return client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
