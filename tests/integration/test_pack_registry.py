"""Registering packs creates their SQS queues; removing them deletes the queues (moto)."""

import pytest

from flyte_core.adapters.pack_queues import queue_name
from flyte_core.domain import packs
from flyte_core.services import registry


@pytest.fixture
def register(adapters):
    def register(name="Shell", labels=None, commands=None):
        return registry.register(
            adapters, packs.parse_registration({"name": name, "labels": labels or {}, "commands": commands or []})
        )

    return register


def queue_attributes(aws, url):
    return aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_registering_creates_the_queue_with_the_lease_as_visibility_timeout(aws, adapters, register):
    pack = register("Shell", {"env": "dev"})
    stored = adapters.packs_table.get("Shell.env.dev")
    assert stored.queue_url == pack.queue_url
    assert queue_attributes(aws, pack.queue_url)["VisibilityTimeout"] == str(adapters.settings.action_lease_seconds)


@pytest.mark.parametrize(
    "name, labels",
    [
        ("Slack", {"team": "a b:c;d%2F", "weird": "é!*#?"}),  # '/' itself is refused (a pack id is a URL segment)
        ("x" * 200, {}),
        ("Shell", {"ABC": "123"}),
    ],
)
def test_any_pack_id_gets_a_valid_distinct_queue(aws, adapters, register, name, labels):
    pack = register(name, labels)
    queue = pack.queue_url.rsplit("/", 1)[1]
    assert len(queue) <= 80
    assert queue.startswith(adapters.settings.pack_queue_prefix)
    assert queue_attributes(aws, pack.queue_url)  # it exists


def test_ids_that_differ_only_in_unsafe_characters_get_different_queues():
    assert queue_name("flyte-pack-", "Slack.team.a/b") != queue_name("flyte-pack-", "Slack.team.a:b")


def test_re_registering_replaces_the_record_and_keeps_the_queue(adapters, register):
    first = register("Shell", commands=[{"name": "Shell"}])
    second = register("Shell")
    assert first.queue_url == second.queue_url
    assert adapters.packs_table.get("Shell").commands == []
    assert second.last_seen >= first.last_seen


def test_unregistering_deletes_the_pack_and_its_queue(aws, adapters, register):
    pack = register("Shell")
    assert registry.unregister(adapters, "Shell").id == "Shell"
    assert adapters.packs_table.get("Shell") is None
    names = [url.rsplit("/", 1)[1] for url in aws.client("sqs").list_queues().get("QueueUrls", [])]
    assert pack.queue_url.rsplit("/", 1)[1] not in names
    assert registry.unregister(adapters, "Shell") is None


def test_touch_refreshes_last_seen_only_for_registered_packs(adapters, register):
    pack = register("Shell")
    later = pack.last_seen.replace(year=pack.last_seen.year + 1)
    assert adapters.packs_table.touch("Shell", later).last_seen == later
    assert adapters.packs_table.touch("Nope", later) is None
    assert adapters.packs_table.get("Nope") is None


def test_packs_are_found_by_name_through_the_index(adapters, register):
    register("Shell", {"env": "dev"})
    register("Shell", {"env": "prod"})
    register("Slack")
    assert sorted(p.id for p in adapters.packs_table.with_name("Shell")) == ["Shell.env.dev", "Shell.env.prod"]
