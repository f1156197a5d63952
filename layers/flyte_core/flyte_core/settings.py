"""The functions' settings: parsed once, at cold start, into one typed, immutable value.

template.yaml is the source of every name and default: it sets the variables below on every function
(tests/unit/test_settings.py keeps the defaults here equal to the template's parameter defaults).
Handlers build `Settings.from_environ()` once and pass it, or the adapters built from it, inward;
tests build their own `Settings(...)` without touching os.environ.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from .domain.actions import MAX_TAKE_WAIT_SECONDS  # the longest long poll SQS allows (a take's wait)

if TYPE_CHECKING:
    from .domain.delivery import Bounds as DeliveryBounds

# Limits of SQS, which every layer and the template must respect (the take wait is a domain rule).
MAX_LEASE_SECONDS = 43200  # the longest visibility timeout SQS allows (12 hours)


class MissingSetting(Exception):
    """A variable the template always sets is missing: the function cannot know its tables."""


@dataclass(frozen=True)
class AwsAccess:
    """Where AWS calls go: the region, and for local runs the endpoints the AWS SDKs read from
    `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` (empty means AWS itself)."""

    region: str = "us-east-1"
    endpoint: str | None = None
    service_endpoints: tuple[tuple[str, str], ...] = ()  # (service, endpoint), e.g. ("sqs", "http://...")
    # Retries of each AWS call after its first attempt (boto3's standard mode and PynamoDB alike:
    # throttling and 5xx retried after a jittered exponential backoff). The step matcher retries once:
    # its stream retries a failed record, so the shard does not wait through backoffs (issue 30).
    retries: int = 3

    def endpoint_for(self, service: str) -> str | None:
        return dict(self.service_endpoints).get(service.lower()) or self.endpoint

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> AwsAccess:
        env = os.environ if environ is None else environ
        prefix = "AWS_ENDPOINT_URL_"
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or cls.region,
            endpoint=env.get("AWS_ENDPOINT_URL") or None,
            service_endpoints=tuple(
                sorted((name[len(prefix) :].lower(), value) for name, value in env.items() if name.startswith(prefix) and value)
            ),
        )


@dataclass(frozen=True)
class TableNames:
    packs: str
    flows: str
    flow_versions: str
    flow_triggers: str
    datastore: str
    events: str
    actions: str


# The variable of each table (template.yaml Globals: FLYTE_PACKS_TABLE: !Ref PacksTable, ...).
TABLE_VARIABLES = {
    "packs": "FLYTE_PACKS_TABLE",
    "flows": "FLYTE_FLOWS_TABLE",
    "flow_versions": "FLYTE_FLOW_VERSIONS_TABLE",
    "flow_triggers": "FLYTE_FLOW_TRIGGERS_TABLE",
    "datastore": "FLYTE_DATASTORE_TABLE",
    "events": "FLYTE_EVENTS_TABLE",
    "actions": "FLYTE_ACTIONS_TABLE",
}


# field -> (variable, smallest accepted value, largest accepted value): template parameters of the
# same meaning set them (FLYTE_TAKE_WAIT_SECONDS: !Ref TakeWaitSeconds, ...).
NUMBER_VARIABLES = {
    "ttl_seconds": ("FLYTE_TTL_IN_SECONDS", 1, None),
    "take_wait_seconds": ("FLYTE_TAKE_WAIT_SECONDS", 0, MAX_TAKE_WAIT_SECONDS),
    "action_lease_seconds": ("FLYTE_ACTION_LEASE_SECONDS", 1, MAX_LEASE_SECONDS),
    "action_max_attempts": ("FLYTE_ACTION_MAX_ATTEMPTS", 1, None),
    "pack_grace_period_seconds": ("FLYTE_PACK_GRACE_PERIOD_UNTIL_MARKED_DEAD_IN_SECONDS", 1, None),
}
FLAG_VARIABLES = {
    "should_delete_dead_packs": "FLYTE_SHOULD_DELETE_DEAD_PACKS",
    "delivery_allow_loopback": "FLYTE_DELIVERY_ALLOW_LOOPBACK",
    "delivery_allow_private_networks": "FLYTE_DELIVERY_ALLOW_PRIVATE_NETWORKS",
    "trust_forwarded_host": "FLYTE_TRUST_FORWARDED_HOST",
}
REVOCATIONS_VARIABLE = "FLYTE_REVOCATIONS_TABLE"
SECRETS_PREFIX_VARIABLE = "FLYTE_SECRETS_PREFIX"  # issue 24: the SSM path of the values flows reference
# Push delivery (issue 20): the shared queue the delivery function reads, and the Secrets Manager key
# that seals the packs' signing secrets in the packs table.
DELIVERY_VARIABLES = {"delivery_queue_url": "FLYTE_DELIVERY_QUEUE_URL", "delivery_key_secret": "FLYTE_DELIVERY_KEY_SECRET_ARN"}
# Webhooks (issue 22): their definitions and secrets, Secrets Manager values under `<stack>/hooks/`.
HOOKS_PREFIX_VARIABLE = "FLYTE_HOOKS_PREFIX"
# Schedules (issue 22): the stack's EventBridge Scheduler group, the function its schedules invoke and
# the role they invoke it with (set on the schedules function only).
SCHEDULE_VARIABLES = {
    "schedule_group": "FLYTE_SCHEDULE_GROUP",
    "schedule_target_arn": "FLYTE_SCHEDULE_TARGET_ARN",
    "schedule_role_arn": "FLYTE_SCHEDULE_ROLE_ARN",
}


@dataclass(frozen=True)
class Settings:
    tables: TableNames
    pack_queue_prefix: str
    aws: AwsAccess = AwsAccess()
    # The defaults are template.yaml's parameter defaults, for a variable that is unset or unusable.
    ttl_seconds: int = 31557600
    take_wait_seconds: int = 5
    action_lease_seconds: int = 300
    action_max_attempts: int = 3
    should_delete_dead_packs: bool = False
    pack_grace_period_seconds: int = 604800
    # Links follow X-Flyte-Host / X-Forwarded-Host (a proxy in front of the API sets them) only when true.
    trust_forwarded_host: bool = False
    revocations_table: str = ""  # the deny list of revoked tokens (FLYTE_REVOCATIONS_TABLE); "" with auth off
    delivery_queue_url: str = ""
    delivery_key_secret: str = ""
    delivery_allow_loopback: bool = False  # http(s) to 127.0.0.1/::1: the local stack only
    delivery_allow_private_networks: bool = False
    secrets_prefix: str = ""  # where secret values live in SSM (FLYTE_SECRETS_PREFIX, issue 24)
    # issue 27: the packs whose bound token may say which person acted in chat (FLYTE_CHAT_PACKS, comma-separated)
    chat_packs: tuple[str, ...] = ("Slack",)
    schedule_group: str = ""
    schedule_target_arn: str = ""
    schedule_role_arn: str = ""
    hooks_prefix: str = ""  # Secrets Manager names of the webhooks (FLYTE_HOOKS_PREFIX, `<stack>/hooks/`, issue 22)

    @property
    def delivery_bounds(self) -> DeliveryBounds:
        from .domain.delivery import Bounds  # only registrations and deliveries need the address rules

        return Bounds(allow_loopback=self.delivery_allow_loopback, allow_private=self.delivery_allow_private_networks)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in a Lambda environment (os.environ unless another mapping is given).

        Like the original, a number that does not parse or is out of range falls back to its default.
        """
        env = os.environ if environ is None else environ
        missing = [name for name in [*TABLE_VARIABLES.values(), "FLYTE_PACK_QUEUE_PREFIX"] if not env.get(name)]
        if missing:
            raise MissingSetting(f"{', '.join(missing)} not set: template.yaml sets them on every function.")
        defaults: dict[str, Any] = {field.name: field.default for field in fields(cls)}
        values: dict[str, Any] = {
            field: _number(env.get(variable, ""), defaults[field], minimum, maximum)
            for field, (variable, minimum, maximum) in NUMBER_VARIABLES.items()
        }
        values.update({field: _flag(env.get(variable, ""), defaults[field]) for field, variable in FLAG_VARIABLES.items()})
        return cls(
            tables=TableNames(**{field: env[variable] for field, variable in TABLE_VARIABLES.items()}),
            pack_queue_prefix=env["FLYTE_PACK_QUEUE_PREFIX"],
            revocations_table=env.get(REVOCATIONS_VARIABLE, ""),
            delivery_queue_url=env.get(DELIVERY_VARIABLES["delivery_queue_url"], ""),
            delivery_key_secret=env.get(DELIVERY_VARIABLES["delivery_key_secret"], ""),
            secrets_prefix=env.get(SECRETS_PREFIX_VARIABLE, ""),
            aws=AwsAccess.from_environ(env),
            chat_packs=tuple(name.strip() for name in env.get("FLYTE_CHAT_PACKS", "Slack").split(",") if name.strip()),
            schedule_group=env.get(SCHEDULE_VARIABLES["schedule_group"], ""),
            schedule_target_arn=env.get(SCHEDULE_VARIABLES["schedule_target_arn"], ""),
            schedule_role_arn=env.get(SCHEDULE_VARIABLES["schedule_role_arn"], ""),
            hooks_prefix=env.get(HOOKS_PREFIX_VARIABLE, ""),
            **values,
        )


def _number(value: str, default: int, minimum: int, maximum: int | None) -> int:
    try:
        number = int(value)
    except ValueError:
        return default
    return number if number >= minimum and (maximum is None or number <= maximum) else default


def _flag(value: str, default: bool) -> bool:
    value = value.strip().lower()
    if value in ("1", "t", "true", "yes"):
        return True
    if value in ("0", "f", "false", "no"):
        return False
    return default
