"""Absolute links, negotiation, body parsing and times (api-contract §1)."""

from datetime import UTC, datetime

import pytest

from flyte_core.domain import links, times
from flyte_core.domain.errors import InvalidInput
from flyte_core.http import web


@pytest.mark.parametrize(
    "headers, base",
    [
        ({"host": "example.com"}, "http://example.com/"),
        ({"Host": "example.com:8080"}, "http://example.com:8080/"),
        ({"host": "api.example.com", "x-forwarded-proto": "https"}, "https://api.example.com/"),
    ],
)
def test_base_url_is_built_from_the_request(headers, base):
    assert web.base_url(headers) == base


@pytest.mark.parametrize(
    "headers",
    [
        {"host": "api.example.com", "x-forwarded-host": "evil.example"},
        {"host": "api.example.com", "x-flyte-host": "evil.example"},
        {"host": "api.example.com", "X-Forwarded-Host": "evil.example", "X-Flyte-Host": "evil.example"},
    ],
)
def test_a_forwarded_host_any_client_can_send_does_not_reach_links_by_default(headers):
    assert web.base_url(headers, domain_name="api.example.com") == "http://api.example.com/"


@pytest.mark.parametrize(
    "headers, base",
    [
        ({"host": "internal", "x-forwarded-host": "api.example.com", "x-forwarded-proto": "https"}, "https://api.example.com/"),
        ({"host": "internal", "x-forwarded-host": "fwd", "x-flyte-host": "flyte.example.com"}, "http://flyte.example.com/"),
        ({"host": "internal"}, "http://internal/"),
    ],
)
def test_behind_a_trusted_proxy_links_follow_its_forwarded_host_as_the_original_did(headers, base):
    assert web.base_url(headers, trust_forwarded_host=True) == base


def test_without_a_host_header_the_gateway_domain_name_is_the_host():
    assert web.base_url({"x-forwarded-proto": "https"}, domain_name="abc.execute-api.eu-west-1.amazonaws.com") == (
        "https://abc.execute-api.eu-west-1.amazonaws.com/"
    )


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


@pytest.mark.parametrize(
    "body, content_type, reason",
    [
        ("", None, "empty"),
        ("{", "application/json", "not valid JSON"),
        ("a: [", "application/x-yaml", "not valid YAML"),
        (b"\xff\xfe", None, "not UTF-8"),
    ],
)
def test_bad_bodies_are_400_with_a_reason(body, content_type, reason):
    with pytest.raises(InvalidInput) as refused:
        web.parse_body(body, content_type)
    assert reason in refused.value.detail


def test_a_yaml_syntax_error_names_its_line_and_column_on_one_line():
    flow = "name: x\nsteps:\n  - id: a\n    event: {name: E\n"
    with pytest.raises(InvalidInput) as refused:
        web.parse_body(flow, "application/x-yaml", what="flow")
    assert (refused.value.extra["line"], refused.value.extra["column"]) == (5, 1)
    assert refused.value.detail.startswith("The flow is not valid YAML: while parsing a flow mapping, expected ',' or '}'")
    assert refused.value.detail.endswith("at line 5, column 1.") and "\n" not in refused.value.detail


def test_a_json_syntax_error_names_its_line_and_column():
    with pytest.raises(InvalidInput) as refused:
        web.parse_body('{"name": "x",\n "steps": [}', "application/json", what="flow")
    assert (refused.value.extra["line"], refused.value.extra["column"]) == (2, 12)


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain"])
def test_yaml_sent_without_the_yaml_content_type_is_refused_with_how_to_send_it(content_type):
    with pytest.raises(InvalidInput) as refused:
        web.parse_body("name: x\nsteps: []\n", content_type, what="flow")
    assert refused.value.detail == (
        "The flow is not valid JSON: Expecting value at line 1, column 1; "
        "it reads as YAML: send it with content-type: application/x-yaml."
    )


def test_text_that_is_neither_json_nor_a_yaml_document_gets_no_yaml_hint():
    with pytest.raises(InvalidInput) as refused:
        web.parse_body("hello", None, what="flow")
    assert "YAML" not in refused.value.detail


def test_times_are_rfc3339_utc_with_trimmed_fraction():
    assert times.format_time(datetime(2022, 1, 2, 15, 4, 5, 123000, tzinfo=UTC)) == "2022-01-02T15:04:05.123Z"
    assert times.format_time(datetime(2022, 1, 2, 15, 4, 5, tzinfo=UTC)) == "2022-01-02T15:04:05Z"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2022-06-23T10:00:00.123456789Z", datetime(2022, 6, 23, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2022-06-23T12:00:00+02:00", datetime(2022, 6, 23, 10, 0, tzinfo=UTC)),
    ],
)
def test_rfc3339_times_with_nanoseconds_and_offsets_parse(text, expected):
    assert times.parse_time(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2022-06-23", "2022-06-23T10:00:00", 5])
def test_times_without_offset_are_refused(text):
    with pytest.raises(ValueError):
        times.parse_time(text)
