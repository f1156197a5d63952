"""The datastore's multipart upload (api-contract §7), without AWS."""

import pytest
from urllib3 import encode_multipart_formdata

from flyte_core.domain import datastore
from flyte_core.domain.errors import InvalidInput, TooLarge, UnsupportedFormat


def form(fields) -> tuple[bytes, str]:
    return encode_multipart_formdata(fields)


def test_value_file_with_its_content_type_and_a_description():
    body, content_type = form({"value": ("teams.json", b'{"a": 1}', "application/json"), "description": "teams"})
    item = datastore.parse_upload("teams", body, content_type)
    assert (item.value, item.content_type, item.description) == (b'{"a": 1}', "application/json", "teams")


def test_a_value_without_content_type_is_plain_ascii_text():
    body = b'--b\r\nContent-Disposition: form-data; name="value"; filename="v.txt"\r\n\r\nhello\r\n--b--\r\n'
    item = datastore.parse_upload("k", body, "multipart/form-data; boundary=b")
    assert item.content_type == "text/plain; charset=us-ascii"
    assert item.value == b"hello"


@pytest.mark.parametrize(
    "sent", ["text/plain; charset=us-ascii", 'text/csv; charset="utf-8"; header=present', "application/vnd.acme+json"]
)
def test_the_content_type_is_kept_as_sent(sent):
    body = (
        b'--b\r\nContent-Disposition: form-data; name="value"; filename="v"\r\nContent-Type: '
        + sent.encode()
        + b"\r\n\r\nhello\r\n--b--\r\n"
    )
    assert datastore.parse_upload("k", body, "multipart/form-data; boundary=b").content_type == sent


def test_binary_values_are_kept_byte_for_byte():
    data = bytes(range(256))
    body, content_type = form({"value": ("b.bin", data, "application/octet-stream")})
    assert datastore.parse_upload("k", body, content_type).value == data


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"description": "no value"}, "no part named 'value'"),
        ({"value": ("v.txt", b"", "text/plain")}, "empty"),
    ],
)
def test_missing_or_empty_values_are_400(fields, words):
    body, content_type = form(fields)
    with pytest.raises(InvalidInput) as refused:
        datastore.parse_upload("k", body, content_type)
    assert words in refused.value.detail


def test_values_too_large_for_dynamodb_are_413():
    body, content_type = form({"value": ("big", b"x" * (datastore.MAX_VALUE_BYTES + 1), "text/plain")})
    with pytest.raises(TooLarge) as refused:
        datastore.parse_upload("k", body, content_type)
    assert refused.value.extra["maxBytes"] == datastore.MAX_VALUE_BYTES


def test_a_non_multipart_body_is_415_with_how_to_send_it():
    with pytest.raises(UnsupportedFormat) as refused:
        datastore.parse_upload("k", b"{}", "application/json")
    assert "curl -F value=@" in refused.value.detail


def test_list_is_sorted_by_key_without_values():
    items = [datastore.Item("b", b"1", "text/plain"), datastore.Item("a", b"2", "application/json", "d")]
    listing = datastore.list_representation(items, "http://h/")
    assert listing["datastore"] == [
        {
            "key": "a",
            "contentType": "application/json",
            "description": "d",
            "links": [{"href": "http://h/v1/datastore/a", "rel": "self"}],
        },
        {"key": "b", "contentType": "text/plain", "links": [{"href": "http://h/v1/datastore/b", "rel": "self"}]},
    ]


@pytest.mark.parametrize(
    ("content_type", "inline"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/x-yaml", True),
        ("text/plain; charset=us-ascii", True),
        ("text/csv", True),
        ("text/html", False),
        ("image/svg+xml", False),
        ("application/xhtml+xml", False),
        ("text/xml", False),
        ("application/octet-stream", False),
        ("application/javascript", False),
    ],
)
def test_issue19_only_json_yaml_text_and_csv_are_served_inline_and_every_item_is_sandboxed(content_type, inline):
    headers = datastore.serving_headers(datastore.Item(key="k.txt", value=b"x", content_type=content_type))
    assert headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert ("Content-Disposition" not in headers) is inline


@pytest.mark.parametrize(
    ("key", "disposition"),
    [
        ("report.html", 'attachment; filename="report.html"'),
        ("...", "attachment; filename=\"item\"; filename*=UTF-8''..."),
        (".hidden", "attachment; filename=\"hidden\"; filename*=UTF-8''.hidden"),
        ("a\\b", 'attachment; filename="a_b"'),
        ("日本", "attachment; filename=\"item\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC"),
        ("x" * 300, f'attachment; filename="{"x" * 100}"'),
    ],
)
def test_issue19_a_download_gets_a_file_name_no_client_can_take_for_a_path(key, disposition):
    assert datastore.attachment(key) == disposition
