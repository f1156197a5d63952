"""Adapters are built from the settings they are given: two settings, two sets of tables, endpoints
and clients, in one process (no AWS call is made)."""

from dataclasses import replace

from flyte_core.adapters import Adapters
from flyte_core.settings import AwsAccess, Settings, TableNames


def settings(prefix: str, endpoint: str) -> Settings:
    names = TableNames(**{field: f"{prefix}-{field}" for field in TableNames.__dataclass_fields__})
    return Settings(tables=names, pack_queue_prefix=f"{prefix}-pack-", aws=AwsAccess(endpoint=endpoint))


def test_each_adapters_binds_the_tables_and_endpoint_of_its_own_settings():
    one, two = Adapters(settings("one", "http://one:1")), Adapters(settings("two", "http://two:2"))
    assert one.models.actions._get_connection().table_name == "one-actions"
    assert two.models.actions._get_connection().table_name == "two-actions"
    assert two.models.actions.by_correlation._model is two.models.actions  # indexes query their own table
    assert (one.models.packs.Meta.host, two.models.packs.Meta.host) == ("http://one:1", "http://two:2")
    assert one.aws.sqs.meta.endpoint_url == "http://one:1" and two.aws.sqs.meta.endpoint_url == "http://two:2"


def test_settings_changed_for_a_test_are_a_new_value_not_a_changed_environment():
    base = settings("one", "http://one:1")
    changed = Adapters(replace(base, action_lease_seconds=30))
    assert changed.settings.action_lease_seconds == 30 and base.action_lease_seconds == 300
    assert changed.pack_queues._attributes["VisibilityTimeout"] == "30"


def test_every_client_and_table_connection_of_a_thread_shares_one_sdk_session():
    """Issue 28: a session per client read the SDK's endpoint and service data again each time,
    70 ms of CPU per client, half a second of a cold start that touched six tables."""
    one, two = Adapters(settings("one", "http://one:1")), Adapters(settings("two", "http://two:2"))
    models = [one.models.actions, one.models.packs, one.models.events, two.models.flows]
    sessions = {model._get_connection().connection.session for model in models}
    assert len(sessions) == 1
    sdk_data = sessions.pop().get_component("data_loader")
    assert all(client._loader is sdk_data for client in (one.aws.sqs, one.aws.dynamodb, two.aws.client("secretsmanager")))
    flows_client = two.models.flows._get_connection().connection.client  # each keeps its own endpoint
    assert (one.aws.dynamodb.meta.endpoint_url, flows_client.meta.endpoint_url) == ("http://one:1", "http://two:2")


def test_another_thread_gets_a_session_of_its_own():
    """botocore's client creation is not thread-safe: the step matcher's parallel deliveries each
    create clients on a session of their own thread."""
    from concurrent.futures import ThreadPoolExecutor

    from flyte_core.adapters.aws import botocore_session

    here = botocore_session()
    with ThreadPoolExecutor(2) as pool:
        there = list(pool.map(lambda _: botocore_session(), range(2)))
    assert all(session is not here for session in there) and botocore_session() is here
