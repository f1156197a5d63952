"""Values kept in AWS Secrets Manager under the stack's prefix (`<stack>/`): put, get, delete and list
values by name. One small adapter with a generic API, so that the general secrets store (issue 24) and
the webhooks' secrets (issue 22) can share it: each caller picks its own sub-prefix (`hooks/...`) and
what it keeps in a value. The functions' IAM names only the prefixes they use."""

from __future__ import annotations

from typing import Any

from ..domain.errors import StateConflict, Unavailable


class SecretValues:
    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self.prefix = prefix

    def _id(self, name: str) -> str:
        if not self.prefix:
            raise Unavailable("This deployment keeps no secrets (FLYTE_SECRETS_PREFIX is not set by template.yaml).")
        return self.prefix + name

    def put(self, name: str, value: str, description: str = "", create_only: bool = False) -> bool:
        """Store a value (True when it was created); StateConflict with create_only when it exists."""
        secret_id = self._id(name)
        try:
            self._client.create_secret(Name=secret_id, SecretString=value, Description=description[:2048])
            return True
        except self._client.exceptions.ResourceExistsException:
            if create_only:
                raise StateConflict(f"{name!r} exists.") from None
        self._client.put_secret_value(SecretId=secret_id, SecretString=value)
        return False

    def get(self, name: str) -> str | None:
        try:
            return str(self._client.get_secret_value(SecretId=self._id(name))["SecretString"])
        except self._client.exceptions.ResourceNotFoundException:
            return None
        except self._client.exceptions.InvalidRequestException:
            return None  # scheduled for deletion

    def delete(self, name: str) -> bool:
        """Delete at once (no recovery window, so the name can be used again); False when absent."""
        try:
            self._client.delete_secret(SecretId=self._id(name), ForceDeleteWithoutRecovery=True)
            return True
        except self._client.exceptions.ResourceNotFoundException:
            return False

    def names(self, under: str = "") -> list[str]:
        """The names (without the prefix) of the values whose name starts with `under`."""
        start = self._id(under)
        found: list[str] = []
        filters = [{"Key": "name", "Values": [start]}]
        for page in self._client.get_paginator("list_secrets").paginate(Filters=filters):
            found.extend(s["Name"][len(self.prefix) :] for s in page.get("SecretList", []) if s["Name"].startswith(start))
        return sorted(found)
