"""Issue 19, item 7: a stack upgraded from the old queue prefix (`<stack>-pack-`, which another
stack's name could share) to `<stack>_flytepack_` loses nothing. Its functions may no longer touch
the old queues, so a pack still registered with one is never sent to, is told to register again
when it takes, and on registering gets a new queue with every action that waited for it (moto)."""

from __future__ import annotations

import pytest

from flyte_core.domain import flows, packs
from flyte_core.domain.errors import StateConflict
from flyte_core.services import matching, pipeline, registry
from flyte_local.application import STACK_NAME

FLOW = {
    "name": "upgrade",
    "steps": [{"id": "s", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Shell", "name": "Do"}}],
}


def register(adapters, name):
    return registry.register(adapters, packs.parse_registration({"name": name, "labels": {}}))


@pytest.fixture
def legacy_shell(aws, adapters):
    """`Shell` as the previous version registered it: its record holds a `<stack>-pack-` queue."""
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=f"{STACK_NAME}-pack-Shell-0123456789")["QueueUrl"]
    pack = register(adapters, "Shell")
    sqs.delete_queue(QueueUrl=pack.queue_url)
    pack.queue_url = url
    adapters.packs_table.save(pack)
    return pack


def messages(aws, url):
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_an_action_for_a_pack_on_an_old_queue_waits_and_is_offered_when_it_registers_again(aws, adapters, legacy_shell):
    adapters.flows_table.save(flows.normalise(FLOW))
    event = pipeline.receive_event(adapters, register(adapters, "Src"), "E", {}, None)
    matching.match_event(adapters, event)  # the step matcher: no send to a queue it may not use
    assert messages(aws, legacy_shell.queue_url) == 0

    with pytest.raises(StateConflict, match="register it again"):
        pipeline.take(adapters, adapters.packs_table.get("Shell"), 0)

    again = register(adapters, "Shell")  # flyte-client registers whenever the pack starts
    assert again.queue_url.rsplit("/", 1)[1].startswith(f"{STACK_NAME}_flytepack_Shell-")
    taken = pipeline.take(adapters, again, 0)
    assert taken is not None and taken.name == "Do"


def test_removing_a_pack_on_an_old_queue_leaves_that_queue_to_the_documented_cleanup(aws, adapters, legacy_shell):
    assert registry.unregister(adapters, "Shell") is not None
    assert legacy_shell.queue_url in aws.client("sqs").list_queues()["QueueUrls"]
