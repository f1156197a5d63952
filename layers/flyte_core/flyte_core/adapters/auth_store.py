"""Where the auth configuration is kept on AWS: the policy in SSM Parameter Store (editable without a
redeploy) and the built-in issuer's signing secret in Secrets Manager."""

from __future__ import annotations

from .aws import Aws


class AuthStore:
    def __init__(self, aws: Aws) -> None:
        self.aws = aws

    def parameter_value(self, name: str) -> str:
        return self.aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]

    def secret_string(self, secret_id: str) -> str:
        return self.aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]

    def put_secret_string(self, secret_id: str, value: str) -> None:
        """A new current version of the secret (the admin's rotation; the functions may only read it)."""
        self.aws.client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=value)
