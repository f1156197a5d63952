"""Flow versions, the current pointer and the trigger index stay consistent (moto)."""

import threading

import pytest

from flyte_core.domain import flows
from flyte_core.domain.errors import InvalidInput


def flow(name="f", trigger=("Slack", "ReceivedMessage"), description=None):
    document = {
        "name": name,
        "steps": [
            {
                "id": "start",
                "event": {"packName": trigger[0], "name": trigger[1]},
                "command": {"packName": "Shell", "name": "Shell", "input": "echo"},
            },
            {
                "id": "next",
                "dependsOn": ["start"],
                "event": {"packName": "Shell", "name": "Output"},
                "command": {"packName": "Slack", "name": "SendMessage"},
            },
        ],
    }
    if description:
        document["description"] = description
    return flows.normalise(document)


@pytest.fixture
def flows_table(adapters):
    return adapters.flows_table


@pytest.fixture
def trigger_rows(adapters):
    def rows(pack, event):
        return [(row.flowName, row.uuid) for row in adapters.models.flow_triggers.query(flows.trigger_key(pack, event))]

    return rows


def test_every_save_is_a_new_immutable_version_and_the_name_points_at_the_newest(flows_table):
    first = flows_table.save(flow(description="v1"))
    second = flows_table.save(flow(description="v2"))
    assert first != second
    assert flows_table.version(first)["description"] == "v1"
    assert flows_table.version(second)["description"] == "v2"
    assert flows_table.current("f")["description"] == "v2"


def test_only_trigger_steps_are_indexed_and_replacing_moves_the_index(flows_table, trigger_rows):
    uuid = flows_table.save(flow())
    assert trigger_rows("Slack", "ReceivedMessage") == [("f", uuid)]
    assert trigger_rows("Shell", "Output") == []  # a dependsOn step starts nothing
    new_uuid = flows_table.save(flow(trigger=("Hipchat", "MessageReceived")))
    assert trigger_rows("Slack", "ReceivedMessage") == []
    assert trigger_rows("Hipchat", "MessageReceived") == [("f", new_uuid)]


def test_deleting_removes_current_and_triggers_but_keeps_the_version(flows_table, trigger_rows):
    uuid = flows_table.save(flow())
    assert flows_table.delete("f")
    assert flows_table.current("f") is None
    assert trigger_rows("Slack", "ReceivedMessage") == []
    assert flows_table.version(uuid)["name"] == "f"
    assert not flows_table.delete("f")


def test_concurrent_saves_leave_the_index_pointing_at_the_current_version(flows_table, trigger_rows):
    triggers = [("Slack", f"E{i}") for i in range(6)]
    saved = []
    threads = [threading.Thread(target=lambda t=t: saved.append(flows_table.save(flow(trigger=t)))) for t in triggers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(saved) == len(triggers)  # every save lands, one after another
    current = flows_table.current("f")
    current_trigger = current["steps"][0]["event"]["name"]
    rows = {t[1]: trigger_rows(*t) for t in triggers}
    assert [name for name, found in rows.items() if found] == [current_trigger]


def test_listing_returns_current_flows_only(flows_table):
    flows_table.save(flow("a"))
    flows_table.save(flow("b"))
    flows_table.save(flow("b", description="newer"))
    flows_table.delete("a")
    assert [(f["name"], f.get("description")) for f in flows_table.list_current()] == [("b", "newer")]


def test_a_long_history_is_listed_in_pages_that_follow_each_other(adapters, flows_table):
    from flyte_core.domain.flows import versions_representation
    from flyte_core.services import flows as flow_service

    big = flow("long")
    big["steps"][0]["command"]["input"] = "x" * 180_000  # near the largest flow: a page holds about eleven
    for number in range(14):
        flows_table.save({**big, "description": f"v{number}"})
    seen, start, pages = [], 0, 0
    while True:
        entries, total = flow_service.versions(adapters, "long", start)
        page = versions_representation("long", entries, "http://h/", start, total)
        seen += [version["flow"]["description"] for version in page["versions"]]
        pages += 1
        following = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not following:
            break
        start = int(following[0].rsplit("start=", 1)[1])
        assert start == len(seen)
    assert seen == [f"v{number}" for number in range(14)]
    assert pages == 2 and total == 14


def flow_of_events(prefix, count):
    """One flow named `wide` starting on `count` distinct Slack events."""
    steps = [
        {"id": f"s{i}", "event": {"packName": "Slack", "name": f"{prefix}{i}"}, "command": {"packName": "Shell", "name": "Shell"}}
        for i in range(count)
    ]
    return flows.normalise({"name": "wide", "steps": steps})


def test_a_replacement_too_large_for_one_transaction_is_refused_with_the_way_round_and_nothing_changes(flows_table, trigger_rows):
    """60 trigger entries removed and 60 written would be 123 items in one DynamoDB transaction (at most
    100): a 400 saying what to do, not a 500, and the current version and its triggers stay whole."""
    first = flows_table.save(flow_of_events("A", 60))
    with pytest.raises(InvalidInput, match=r"remove 60 and write 60 trigger entries.*Delete the flow first") as refused:
        flows_table.save(flow_of_events("B", 60))
    assert refused.value.extra == {"field": "steps"}
    assert flows_table.current_uuid("wide") == first
    assert trigger_rows("Slack", "A59") == [("wide", first)] and trigger_rows("Slack", "B0") == []

    assert flows_table.delete("wide")
    second = flows_table.save(flow_of_events("B", 60))  # the way round the message gives
    assert trigger_rows("Slack", "B59") == [("wide", second)] and trigger_rows("Slack", "A0") == []
    # a replacement that keeps most triggers still goes in one step
    third = flows_table.save(flow_of_events("B", 58))
    assert trigger_rows("Slack", "B0") == [("wide", third)] and trigger_rows("Slack", "B59") == []
