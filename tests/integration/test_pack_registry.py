"""Registering packs creates their SQS queues; removing them deletes the queues (moto)."""

import pytest

from flyte_core import packs, registry
from flyte_core.settings import settings
from flyte_core.storage import packs as pack_store
from flyte_core.storage import queues


def register(name="Shell", labels=None):
    return registry.register(packs.parse_registration({"name": name, "labels": labels or {}}))


def queue_attributes(aws, url):
    return aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_registering_creates_the_queue_with_the_lease_as_visibility_timeout(aws):
    pack = register("Shell", {"env": "dev"})
    stored = pack_store.get("Shell.env.dev")
    assert stored.queue_url == pack.queue_url
    assert queue_attributes(aws, pack.queue_url)["VisibilityTimeout"] == str(settings().action_lease_seconds)


@pytest.mark.parametrize("name, labels", [
    ("Slack", {"team": "a b/c:d", "weird": "é!*"}),
    ("x" * 200, {}),
    ("Shell", {"ABC": "123"}),
])
def test_any_pack_id_gets_a_valid_distinct_queue(aws, name, labels):
    pack = register(name, labels)
    queue = pack.queue_url.rsplit("/", 1)[1]
    assert len(queue) <= 80
    assert queue.startswith(settings().pack_queue_prefix)
    assert queue_attributes(aws, pack.queue_url)  # it exists


def test_ids_that_differ_only_in_unsafe_characters_get_different_queues():
    assert queues.queue_name("Slack.team.a/b") != queues.queue_name("Slack.team.a:b")


def test_re_registering_replaces_the_record_and_keeps_the_queue(aws):
    first = registry.register(packs.parse_registration({"name": "Shell", "commands": [{"name": "Shell"}]}))
    second = registry.register(packs.parse_registration({"name": "Shell"}))
    assert first.queue_url == second.queue_url
    assert pack_store.get("Shell").commands == []
    assert second.last_seen >= first.last_seen


def test_unregistering_deletes_the_pack_and_its_queue(aws):
    pack = register("Shell")
    assert registry.unregister("Shell").id == "Shell"
    assert pack_store.get("Shell") is None
    names = [url.rsplit("/", 1)[1] for url in aws.client("sqs").list_queues().get("QueueUrls", [])]
    assert pack.queue_url.rsplit("/", 1)[1] not in names
    assert registry.unregister("Shell") is None


def test_touch_refreshes_last_seen_only_for_registered_packs(aws):
    pack = register("Shell")
    later = pack.last_seen.replace(year=pack.last_seen.year + 1)
    assert pack_store.touch("Shell", later).last_seen == later
    assert pack_store.touch("Nope", later) is None
    assert pack_store.get("Nope") is None


def test_packs_are_found_by_name_through_the_index(aws):
    register("Shell", {"env": "dev"})
    register("Shell", {"env": "prod"})
    register("Slack")
    assert sorted(p.id for p in pack_store.with_name("Shell")) == ["Shell.env.dev", "Shell.env.prod"]
