"""Secret values under one prefix of SSM Parameter Store, as SecureString parameters (issue 24).

A small, generic store: put, get, delete and describe a value by name under a prefix. Nothing here
knows what the values mean (flow secrets today; inbound webhook secrets may share it), so another
backend (Secrets Manager) can replace it behind the same five methods.

Why SSM SecureString and not Secrets Manager: a standard parameter costs nothing per month
(Secrets Manager: $0.40 per secret per month), its standard throughput is free (Secrets Manager:
$0.05 per 10,000 calls) and it is encrypted with the account's `aws/ssm` KMS key (free; decrypt
requests are billed by KMS at $0.03 per 10,000). Values up to 4 KB fit a standard parameter, and
SSM keeps each parameter's last 100 versions with their descriptions (who changed it, when), which
is the rotation history. Secrets Manager's extras (rotation functions, replication, 64 KB values)
are not needed by a value a flow references.

Values are read only with `get` (GetParameter WithDecryption): the functions that hand values to
packs have that permission on `<prefix>*`; the function that manages secrets can write and
describe them but never decrypt one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.errors import Unavailable


@dataclass(frozen=True)
class StoredValue:
    value: str
    version: int


@dataclass(frozen=True)
class ValueInfo:
    """A value's description and version, without the value."""

    name: str
    description: str
    version: int
    changed_at: datetime | None


class SecretValues:
    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def _path(self, name: str) -> str:
        if not self._prefix:
            raise RuntimeError("FLYTE_SECRETS_PREFIX is not set: template.yaml sets it on every function")
        return self._prefix + name

    def _call(self, method: str, **kwargs: Any) -> Any:
        """The answer, or None when the parameter (or version) does not exist."""
        try:
            return getattr(self._client, method)(**kwargs)
        except Exception as error:  # botocore's errors and connection failures alike
            if _code(error) in ("ParameterNotFound", "ParameterVersionNotFound"):
                return None
            raise Unavailable("The secret store cannot be reached now; retry shortly.", retryAfterSeconds=5) from error

    def put(self, name: str, value: str, description: str) -> int:
        """Create or replace the value (a new version); returns the version."""
        answer = self._call(
            "put_parameter",
            Name=self._path(name),
            Value=value,
            Type="SecureString",
            Description=description,
            Overwrite=True,
            Tier="Standard",
        )
        return int(answer["Version"])

    def get(self, name: str, version: int | None = None) -> StoredValue | None:
        """The value (decrypted), the newest or the given version; None when there is none."""
        selector = self._path(name) + (f":{version}" if version is not None else "")
        answer = self._call("get_parameter", Name=selector, WithDecryption=True)
        if answer is None:
            return None
        return StoredValue(answer["Parameter"]["Value"], int(answer["Parameter"]["Version"]))

    def delete(self, name: str) -> bool:
        """Delete the value and its history; False when there was none."""
        return self._call("delete_parameter", Name=self._path(name)) is not None

    def describe(self) -> list[ValueInfo]:
        """Every value under the prefix, without values."""
        found: list[ValueInfo] = []
        kwargs: dict[str, Any] = {
            "ParameterFilters": [{"Key": "Name", "Option": "BeginsWith", "Values": [self._path("")]}],
            "MaxResults": 50,
        }
        while True:
            answer = self._call("describe_parameters", **kwargs) or {}
            found.extend(self._info(entry) for entry in answer.get("Parameters", []))
            if not answer.get("NextToken"):
                return sorted(found, key=lambda info: info.name)
            kwargs["NextToken"] = answer["NextToken"]

    def history(self, name: str) -> list[ValueInfo]:
        """The value's versions, oldest first, without values (never decrypted)."""
        entries: list[ValueInfo] = []
        kwargs: dict[str, Any] = {"Name": self._path(name), "WithDecryption": False, "MaxResults": 50}
        while True:
            answer = self._call("get_parameter_history", **kwargs)
            if answer is None:
                return []
            entries.extend(self._info(entry) for entry in answer.get("Parameters", []))
            if not answer.get("NextToken"):
                return entries
            kwargs["NextToken"] = answer["NextToken"]

    def _info(self, entry: dict[str, Any]) -> ValueInfo:
        return ValueInfo(
            name=entry["Name"][len(self._prefix) :],
            description=entry.get("Description", ""),
            version=int(entry.get("Version", 0)),
            changed_at=entry.get("LastModifiedDate"),
        )


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
