"""Pack ids, registration validation and representations (api-contract §3), without AWS."""

from datetime import UTC, datetime, timedelta

import pytest

from flyte_core.domain import packs
from flyte_core.domain.errors import InvalidInput

NOW = datetime(2022, 6, 23, 10, 0, tzinfo=UTC)
BASE = "http://h/"


@pytest.mark.parametrize(
    "name, labels, expected",
    [
        ("Shell", {"ABC": "123"}, "Shell.ABC.123"),
        ("Hipchat", {"network": "lab", "env": "staging"}, "Hipchat.env.staging.network.lab"),
        ("Slack", {}, "Slack"),
    ],
)
def test_pack_id_is_the_name_then_sorted_labels(name, labels, expected):
    assert packs.pack_id(name, labels) == expected


def test_registration_keeps_everything_a_pack_declares():
    pack = packs.parse_registration(
        {
            "name": "Slack",
            "labels": {"env": "prod"},
            "unknown": "ignored",
            "commands": [
                {
                    "name": "SendMessage",
                    "events": ["MessageSent", "SendMessageFailed"],
                    "links": [{"href": "http://x/help", "rel": "help"}],
                }
            ],
            "events": [{"name": "ReceivedMessage", "links": []}],
            "links": [{"href": "http://x/README.md", "rel": "help"}],
        }
    )
    assert pack.id == "Slack.env.prod"
    assert pack.commands[0]["events"] == ["MessageSent", "SendMessageFailed"]
    assert pack.events == [{"name": "ReceivedMessage", "links": []}]


@pytest.mark.parametrize(
    "rel",
    [
        "self",
        "up",
        "http://h/swagger#/actionResult",
        "http://h/swagger#!/action/takeAction",
        "http://h/swagger#!/action/actionReady",
        "http://h/swagger#/event",
    ],
)
def test_reserved_link_rels_are_refused_with_the_field_named(rel):
    with pytest.raises(InvalidInput) as refused:
        packs.parse_registration({"name": "P", "links": [{"href": "http://x", "rel": rel}]})
    assert refused.value.extra["field"] == "links[0].rel"
    assert rel in refused.value.detail


@pytest.mark.parametrize("rel", ["setup", "group", "help", "selfie-docs"])
def test_rels_that_merely_contain_up_or_self_are_accepted(rel):
    assert packs.parse_registration({"name": "P", "links": [{"href": "http://x", "rel": rel}]}).links[0]["rel"] == rel


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "P", "labels": {"env": 3}}, "labels"),
        ({"name": "P", "links": ["http://x"]}, "links[0]"),
        ({"name": "P", "commands": "SendMessage"}, "commands"),
        ({"name": ""}, "name"),
        ({"labels": {}}, "name"),
        ([], ""),
    ],
)
def test_invalid_registrations_name_the_field(body, field):
    with pytest.raises(InvalidInput) as refused:
        packs.parse_registration(body)
    assert refused.value.extra["field"] == field


@pytest.mark.parametrize(
    "age, status", [(timedelta(minutes=9), "live"), (timedelta(hours=23), "warning"), (timedelta(days=2), "critical")]
)
def test_status_follows_last_seen(age, status):
    assert packs.status(NOW - age, NOW) == status


def test_representation_replaces_command_links_with_take_links_and_appends_api_links():
    pack = packs.parse_registration(
        {
            "name": "Slack",
            "commands": [{"name": "SendMessage", "events": ["MessageSent"], "links": [{"href": "http://x/help", "rel": "help"}]}],
            "events": [{"name": "MessageSent"}],
            "links": [{"href": "http://h/README.md", "rel": "help"}],
        }
    )
    pack.last_seen = NOW
    rep = packs.representation(pack, BASE, NOW)
    assert list(rep) == ["id", "name", "commands", "events", "lastSeen", "links", "status"]
    assert rep["commands"][0]["links"] == [
        {"href": "http://h/v1/packs/Slack/actions/take?commandName=SendMessage", "rel": "http://h/swagger#!/action/takeAction"}
    ]
    assert rep["links"] == [
        {"href": "http://h/README.md", "rel": "help"},
        {"href": "http://h/v1/packs/Slack", "rel": "self"},
        {"href": "http://h/v1/packs", "rel": "up"},
        {"href": "http://h/v1/packs/Slack/actions/take", "rel": "http://h/swagger#!/action/takeAction"},
        {"href": "http://h/v1/packs/Slack/events", "rel": "http://h/swagger#/event"},
        # issue 21: the long poll that parks no function (the original's clients ignore unknown links)
        {"href": "http://h/v1/packs/Slack/actions/ready", "rel": "http://h/swagger#!/action/actionReady"},
    ]
    assert rep["status"] == "live"


def test_list_is_sorted_by_name_with_only_summary_fields():
    a = packs.Pack(id="b.env.x", name="b", labels={"env": "x"}, last_seen=NOW)
    b = packs.Pack(id="a", name="a", last_seen=NOW)
    listing = packs.list_representation([a, b], BASE, NOW)
    assert [p["name"] for p in listing["packs"]] == ["a", "b"]
    assert listing["packs"][1] == {
        "id": "b.env.x",
        "name": "b",
        "labels": {"env": "x"},
        "lastSeen": NOW,
        "status": "live",
        "links": [{"href": "http://h/v1/packs/b.env.x", "rel": "self"}],
    }
    assert listing["links"][2] == {"href": "http://h/swagger#/pack", "rel": "help"}


def test_labels_include_is_a_subset_check():
    assert packs.labels_include({"env": "prod", "dc": "1"}, {"env": "prod"})
    assert packs.labels_include({"env": "prod"}, {})
    assert not packs.labels_include({"env": "prod"}, {"env": "dev"})
    assert not packs.labels_include({}, {"env": "prod"})
