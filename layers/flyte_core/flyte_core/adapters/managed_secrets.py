"""Values kept in AWS Secrets Manager under a prefix: put, get, delete and list values by name.

The webhooks (issue 22) keep each hook's definition and secret here, under `<stack>/hooks/`: a hook is
read on every request to its public URL, and Secrets Manager's read rate suits that where SSM's
standard 40 reads a second (the store of the secrets flows reference, `secret_values`) would not.
The functions' IAM names only the prefix they use."""

from __future__ import annotations

from typing import Any

from ..domain.errors import StateConflict, Unavailable


class ManagedSecrets:
    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self.prefix = prefix

    def _id(self, name: str) -> str:
        if not self.prefix:
            raise Unavailable("This deployment keeps no webhooks (FLYTE_HOOKS_PREFIX is not set by template.yaml).")
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

    def names(self) -> list[str]:
        """The names (without the prefix) of the values under the prefix."""
        start = self._id("")
        found: list[str] = []
        filters = [{"Key": "name", "Values": [start]}]
        for page in self._client.get_paginator("list_secrets").paginate(Filters=filters):
            found.extend(s["Name"][len(self.prefix) :] for s in page.get("SecretList", []) if s["Name"].startswith(start))
        return sorted(found)
