"""Settings read from the environment (template.yaml sets them; the local stack does too)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer variable; like the original, a value that is not an integer falls back to the default."""
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        return default
    return value


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in ("1", "t", "true", "yes"):
        return True
    if value in ("0", "f", "false", "no"):
        return False
    return default


@dataclass(frozen=True)
class Settings:
    packs_table: str
    flows_table: str
    flow_versions_table: str
    flow_triggers_table: str
    datastore_table: str
    events_table: str
    actions_table: str
    pack_queue_prefix: str
    ttl_seconds: int
    take_wait_seconds: int
    action_lease_seconds: int
    action_max_attempts: int
    should_delete_dead_packs: bool
    pack_grace_period_seconds: int
    region: str


def settings() -> Settings:
    """Read on each call (a few microseconds), so a changed environment applies at once."""
    env = os.environ.get
    return Settings(
        packs_table=env("FLYTE_PACKS_TABLE", "flyte-packs"),
        flows_table=env("FLYTE_FLOWS_TABLE", "flyte-flows"),
        flow_versions_table=env("FLYTE_FLOW_VERSIONS_TABLE", "flyte-flow-versions"),
        flow_triggers_table=env("FLYTE_FLOW_TRIGGERS_TABLE", "flyte-flow-triggers"),
        datastore_table=env("FLYTE_DATASTORE_TABLE", "flyte-datastore"),
        events_table=env("FLYTE_EVENTS_TABLE", "flyte-events"),
        actions_table=env("FLYTE_ACTIONS_TABLE", "flyte-actions"),
        pack_queue_prefix=env("FLYTE_PACK_QUEUE_PREFIX", "flyte-pack-"),
        ttl_seconds=_int("FLYTE_TTL_IN_SECONDS", 31557600, minimum=1),
        take_wait_seconds=_int("FLYTE_TAKE_WAIT_SECONDS", 5, minimum=0, maximum=20),
        action_lease_seconds=_int("FLYTE_ACTION_LEASE_SECONDS", 300, minimum=1, maximum=43200),
        action_max_attempts=_int("FLYTE_ACTION_MAX_ATTEMPTS", 3, minimum=1),
        should_delete_dead_packs=_bool("FLYTE_SHOULD_DELETE_DEAD_PACKS", False),
        pack_grace_period_seconds=_int("FLYTE_PACK_GRACE_PERIOD_UNTIL_MARKED_DEAD_IN_SECONDS", 604800, minimum=1),
        region=env("AWS_REGION") or env("AWS_DEFAULT_REGION") or "us-east-1",
    )
