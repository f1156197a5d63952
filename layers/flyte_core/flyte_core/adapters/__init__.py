"""Adapters: DynamoDB tables (PynamoDB) and SQS queues, the only modules that talk to AWS.

One module per table or queue kind, named after it (`actions_table`, `pack_queues`...). `Adapters`
builds them from one `Settings`, each on first use (a function loads only the tables it touches),
and services receive it: `adapters.actions_table.claim(...)`.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from ..settings import Settings

if TYPE_CHECKING:
    from .action_queues import ActionQueues
    from .actions_table import ActionsTable
    from .aws import Aws
    from .datastore_table import DatastoreTable
    from .delivery_leases import DeliveryLeases
    from .delivery_queue import DeliveryQueue
    from .delivery_secrets import DeliverySecrets
    from .events_table import EventsTable
    from .flows_table import FlowsTable
    from .health import Health
    from .lookups import Lookups
    from .managed_secrets import ManagedSecrets
    from .models import TableModels
    from .pack_endpoints import PackEndpoints
    from .pack_queues import PackQueues
    from .packs_table import PacksTable
    from .revocations_table import RevocationsTable
    from .schedule_store import ScheduleStore
    from .secret_values import SecretValues


class Adapters:
    """Every adapter of one function environment, built from its settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def aws(self) -> Aws:
        from .aws import Aws

        return Aws(self.settings.aws)

    @cached_property
    def models(self) -> TableModels:
        from .models import TableModels

        return TableModels(self.aws, self.settings.tables)

    @cached_property
    def packs_table(self) -> PacksTable:
        from .packs_table import PacksTable

        return PacksTable(self.models.packs)

    @cached_property
    def flows_table(self) -> FlowsTable:
        from .flows_table import FlowsTable

        return FlowsTable(self.models, self.aws)

    @cached_property
    def lookups(self) -> Lookups:
        """The step matcher's caches of flow triggers and packs by name (used within its batches only)."""
        from .lookups import Lookups

        return Lookups(self.flows_table, self.packs_table, self.aws.dynamodb)

    @cached_property
    def datastore_table(self) -> DatastoreTable:
        from .datastore_table import DatastoreTable

        return DatastoreTable(self.models.datastore)

    @cached_property
    def events_table(self) -> EventsTable:
        from .events_table import EventsTable

        return EventsTable(self.models.events, self.models.traces, self.settings)

    @cached_property
    def actions_table(self) -> ActionsTable:
        from .actions_table import ActionsTable

        return ActionsTable(self.models.actions, self.events_table, self.aws, self.settings)

    @cached_property
    def pack_queues(self) -> PackQueues:
        from .pack_queues import PackQueues

        return PackQueues(self.aws.sqs, self.settings)

    @cached_property
    def action_queues(self) -> ActionQueues:
        from .action_queues import ActionQueues

        return ActionQueues(self.aws.sqs, self.settings)

    @cached_property
    def health(self) -> Health:
        from .health import Health

        return Health(self.aws.dynamodb, self.settings)

    @cached_property
    def revocations_table(self) -> RevocationsTable:
        from .revocations_table import RevocationsTable

        return RevocationsTable(self.aws, self.settings.revocations_table)

    # --- push delivery (issue 20) ---

    @cached_property
    def delivery_queue(self) -> DeliveryQueue:
        from .delivery_queue import DeliveryQueue

        return DeliveryQueue(self.aws.sqs, self.settings)

    @cached_property
    def delivery_secrets(self) -> DeliverySecrets:
        from .delivery_secrets import DeliverySecrets

        return DeliverySecrets(self.aws.client("secretsmanager"), self.settings.delivery_key_secret)

    @cached_property
    def delivery_leases(self) -> DeliveryLeases:
        from .delivery_leases import DeliveryLeases

        return DeliveryLeases(self.models.actions)

    @cached_property
    def pack_endpoints(self) -> PackEndpoints:
        from .pack_endpoints import PackEndpoints

        return PackEndpoints(self.settings.delivery_bounds)

    # --- schedules (issue 22) ---

    @cached_property
    def schedule_store(self) -> ScheduleStore:
        from .schedule_store import ScheduleStore

        s = self.settings
        return ScheduleStore(self.aws.client("scheduler"), s.schedule_group, s.schedule_target_arn, s.schedule_role_arn)

    @cached_property
    def hook_secrets(self) -> ManagedSecrets:
        """Webhooks' definitions and secrets (issue 22), read on every inbound request: Secrets Manager,
        whose read rate (thousands a second) suits a public endpoint; SSM's standard 40 a second would not."""
        from .managed_secrets import ManagedSecrets

        return ManagedSecrets(self.aws.client("secretsmanager"), self.settings.hooks_prefix)

    # --- secrets referenced by flows (issue 24) ---

    @cached_property
    def secret_values(self) -> SecretValues:
        from .secret_values import SecretValues

        return SecretValues(self.aws.client("ssm"), self.settings.secrets_prefix)
