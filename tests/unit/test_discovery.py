"""The link documents packs discover the API from (api-contract §2.1), byte for byte."""

import json

from flyte_core.domain import discovery
from flyte_core.http import web


def test_root_links_match_the_original_exactly():
    assert web.dump_json(discovery.root_links("http://example.com/")) == json.dumps(
        json.loads("""
    {"links":[{"href":"http://example.com/","rel":"self"},
     {"href":"http://example.com/swagger#/info","rel":"help"},
     {"href":"http://example.com/v1","rel":"http://example.com/swagger#!/info/v1"}]}"""),
        separators=(",", ":"),
    )


def test_v1_links_are_the_originals_in_its_order_then_this_apis_additions():
    expected = json.loads("""
    {"links":[{"href":"http://example.com/v1","rel":"self"},
     {"href":"http://example.com/","rel":"up"},
     {"href":"http://example.com/swagger#!/info/v1","rel":"help"},
     {"href":"http://example.com/health","rel":"http://example.com/swagger#!/info/health"},
     {"href":"http://example.com/v1/packs","rel":"http://example.com/swagger#!/pack/listPacks"},
     {"href":"http://example.com/v1/flows","rel":"http://example.com/swagger#!/flow/listFlows"},
     {"href":"http://example.com/v1/datastore","rel":"http://example.com/swagger#!/datastore/listDatastoreItems"},
     {"href":"http://example.com/v1/audit/flows","rel":"http://example.com/swagger#!/flowAudit/findFlows"},
     {"href":"http://example.com/v1/swagger","rel":"http://example.com/swagger"}]}""")
    links = discovery.v1_links("http://example.com/")["links"]
    assert links[: len(expected["links"])] == expected["links"]
    assert links[len(expected["links"]) :] == [
        {"href": "http://example.com/v1/audit/events", "rel": "http://example.com/swagger#!/eventAudit/findEvents"},
        {"href": "http://example.com/v1/flows/test", "rel": "http://example.com/swagger#!/flowTest/testFlow"},
        {"href": "http://example.com/v1/flows/replay", "rel": "http://example.com/swagger#!/flowTest/replayFlow"},
        {"href": "http://example.com/v1/tokens/revocations", "rel": "http://example.com/swagger#!/token/listRevocations"},
    ]


def test_v1_carries_the_release_after_the_links_when_given():
    document = discovery.v1_links("http://example.com/", "1.2.3")
    assert list(document) == ["links", "version"] and document["version"] == "1.2.3"
    assert "version" not in discovery.v1_links("http://example.com/")
