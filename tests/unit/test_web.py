"""Absolute links, negotiation, body parsing and times (spec 1)."""

from datetime import datetime, timezone

import pytest

from flyte_core.domain import links, times
from flyte_core.domain.errors import InvalidInput
from flyte_core.http import web


@pytest.mark.parametrize("headers, base", [
    ({"host": "example.com"}, "http://example.com/"),
    ({"Host": "example.com:8080"}, "http://example.com:8080/"),
    ({"host": "internal", "x-forwarded-host": "api.example.com", "x-forwarded-proto": "https"}, "https://api.example.com/"),
    ({"host": "internal", "x-forwarded-host": "fwd", "x-flyte-host": "flyte.example.com"}, "http://flyte.example.com/"),
])
def test_base_url_is_built_from_the_request(headers, base):
    assert web.base_url(headers) == base


def test_item_links_are_path_cleaned_like_the_original():
    assert links.item_link("http://h/", "v1/flows/a/../b")["href"] == "http://h/v1/flows/b"
    assert links.item_link("http://h/", "v1//packs/x")["href"] == "http://h/v1/packs/x"


def test_yaml_only_for_the_exact_accept_value():
    body, content_type = web.render({"b": 1, "a": [1, 2]}, "application/x-yaml")
    assert content_type == "application/x-yaml; charset=utf-8"
    assert body.splitlines()[0] == "a:"  # keys sorted
    assert web.render({"a": 1}, "application/yaml")[1] == "application/json; charset=utf-8"
    assert web.render({"a": 1}, None) == ('{"a":1}', "application/json; charset=utf-8")


def test_json_escapes_html_characters_like_go():
    assert web.dump_json({"m": "<@U1> & co"}) == '{"m":"\\u003c@U1\\u003e \\u0026 co"}'


def test_yaml_bodies_follow_yaml_1_1():
    assert web.parse_body("enabled: yes\nn: 3", "application/x-yaml") == {"enabled": True, "n": 3}


@pytest.mark.parametrize("body, content_type, reason", [
    ("", None, "empty"),
    ("{", "application/json", "not valid JSON"),
    ("a: [", "application/x-yaml", "not valid YAML"),
    (b"\xff\xfe", None, "not UTF-8"),
])
def test_bad_bodies_are_400_with_a_reason(body, content_type, reason):
    with pytest.raises(InvalidInput) as refused:
        web.parse_body(body, content_type)
    assert reason in refused.value.detail


def test_times_are_rfc3339_utc_with_trimmed_fraction():
    assert times.format_time(datetime(2022, 1, 2, 15, 4, 5, 123000, tzinfo=timezone.utc)) == "2022-01-02T15:04:05.123Z"
    assert times.format_time(datetime(2022, 1, 2, 15, 4, 5, tzinfo=timezone.utc)) == "2022-01-02T15:04:05Z"


@pytest.mark.parametrize("text, expected", [
    ("2022-06-23T10:00:00.123456789Z", datetime(2022, 6, 23, 10, 0, 0, 123456, tzinfo=timezone.utc)),
    ("2022-06-23T12:00:00+02:00", datetime(2022, 6, 23, 10, 0, tzinfo=timezone.utc)),
])
def test_rfc3339_times_with_nanoseconds_and_offsets_parse(text, expected):
    assert times.parse_time(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2022-06-23", "2022-06-23T10:00:00", 5])
def test_times_without_offset_are_refused(text):
    with pytest.raises(ValueError):
        times.parse_time(text)
