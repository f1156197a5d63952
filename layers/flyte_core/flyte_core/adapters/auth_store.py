"""Where the auth configuration is kept on AWS: the policy in SSM Parameter Store (editable without a
redeploy) and the built-in issuer's signing secret in Secrets Manager."""

from __future__ import annotations

from .aws import Aws


class AuthStore:
    def __init__(self, aws: Aws) -> None:
        self._aws = aws

    def parameter_value(self, name: str) -> str:
        return self._aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]

    def secret_string(self, secret_id: str) -> str:
        return self._aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
