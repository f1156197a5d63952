"""The bounds every input is held to (issue 8): depth, size, numbers, text and names, as pure rules.

Test names carry the issue's item number where one applies."""

from __future__ import annotations

import json
import time
from datetime import UTC

import pytest
import yaml

from flyte_core.domain import bounds
from flyte_core.domain.errors import InvalidInput, TooLarge


def refusal(call, *args, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    return caught.value


# --- item 2: depth ---------------------------------------------------------------------------------


def test_item2_json_nested_10000_levels_is_refused_before_parsing_and_says_where():
    error = refusal(bounds.load_json, "[" * 10_000 + "]" * 10_000, "flow")
    assert error.detail == f"The flow nests deeper than {bounds.MAX_DEPTH} levels."
    assert error.extra["maxDepth"] == 64 and error.extra["line"] == 1 and error.extra["column"] == 65


def test_item2_json_at_the_depth_limit_is_accepted_and_brackets_inside_strings_do_not_count():
    deep = "[" * bounds.MAX_DEPTH + "]" * bounds.MAX_DEPTH
    assert bounds.load_json(deep) is not None
    assert bounds.load_json(json.dumps({"text": "[" * 500 + '\\"{'})) == {"text": "[" * 500 + '\\"{'}
    refusal(bounds.load_json, "[" * (bounds.MAX_DEPTH + 1) + "]" * (bounds.MAX_DEPTH + 1))


@pytest.mark.parametrize(
    "document",
    [
        "deep: " + "[" * 10_000,
        "deep: " + "{a: " * 10_000,
        "- " * 10_000 + "x",
        "x:\n" + "".join(" " * i + "- \n" for i in range(1, 200)),
    ],
)
def test_item2_yaml_nested_past_the_limit_is_refused_quickly_in_flow_and_block_style(document):
    started = time.process_time()
    error = refusal(bounds.load_yaml, document, "flow")
    assert "nests deeper than 64 levels" in error.detail and error.extra["line"] >= 1
    assert time.process_time() - started < 0.5


def test_item2_a_python_structure_deeper_than_the_limit_is_refused_naming_the_path():
    value: list = []
    for _ in range(bounds.MAX_DEPTH + 5):
        value = [value]
    error = refusal(bounds.check_json_compatible, {"payload": value}, "event")
    assert error.extra["field"].startswith("payload[0][0]")


# --- item 3: YAML aliases and YAML-only types ------------------------------------------------------


def alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "command:\n  input:\n" + "".join(f"    {line}\n" for line in lines)


def test_item3_an_alias_bomb_is_refused_in_milliseconds_naming_the_bound():
    started = time.process_time()
    error = refusal(bounds.load_yaml, alias_bomb(), "flow")
    assert "expands, with its aliases, past 1000000" in error.detail and error.extra["maxExpansion"] == 1_000_000
    assert time.process_time() - started < 0.5


def test_item3_ordinary_anchors_and_merge_keys_still_work():
    document = "base: &base {packName: Shell, name: Run}\nsteps:\n  - command: {<<: *base, input: ls}\n  - command: *base\n"
    assert bounds.load_yaml(document)["steps"] == [
        {"command": {"packName": "Shell", "name": "Run", "input": "ls"}},
        {"command": {"packName": "Shell", "name": "Run"}},
    ]


def test_item3_an_alias_that_contains_itself_is_refused():
    assert "contains itself" in refusal(bounds.load_yaml, "loop: &l [*l]").detail


def test_item2_aliases_cannot_stack_depth_past_the_limit():
    lines = ["l0: &l0 " + "[" * 40 + "]" * 40]
    lines += [f"l{i}: &l{i} " + "[" * 40 + f"*l{i - 1}" + "]" * 40 for i in range(1, 4)]
    assert "with its aliases, deeper than 64" in refusal(bounds.load_yaml, "\n".join(lines)).detail


def test_item3_unquoted_dates_and_timestamps_stay_the_text_written():
    assert bounds.load_yaml("day: 2026-12-25\nat: 2001-12-14t21:59:43.10-05:00\n") == {
        "day": "2026-12-25",
        "at": "2001-12-14t21:59:43.10-05:00",
    }


@pytest.mark.parametrize(
    "document, field, kind",
    [
        ("command:\n  input: !!binary aGVsbG8=", "command.input", "binary"),
        ("payload:\n  tags: !!set {a, b}", "payload.tags", "set"),
        ("payload: !!omap [a: 1, b: 2]", "payload", "omap"),
    ],
)
def test_item3_yaml_types_without_a_json_form_are_refused_naming_the_field(document, field, kind):
    error = refusal(bounds.load_yaml, document, "event")
    assert error.extra["field"] == field and f"YAML type {kind} has no JSON equivalent" in error.detail


def test_yaml_keys_become_text_as_the_original_converts_them():
    assert bounds.load_yaml("{1: a, true: b, null: c, 1.5: d}") == {"1": "a", "true": "b", "null": "c", "1.5": "d"}


# --- item 4: numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document, field",
    [
        ('{"payload": {"x": NaN}}', "payload.x"),
        ('{"payload": [Infinity]}', "payload[0]"),
        ('{"payload": -Infinity}', "payload"),
        ('{"payload": {"big": 1e999}}', "payload.big"),
        ('{"payload": {"n": ' + "9" * 5000 + "}}", "payload.n"),
        ('{"payload": {"n": 9223372036854775808}}', "payload.n"),
    ],
)
def test_item4_json_non_finite_and_huge_numbers_are_refused_naming_the_field(document, field):
    assert refusal(bounds.load_json, document, "event").extra["field"] == field


@pytest.mark.parametrize(
    "document, field",
    [("x: .nan", "x"), ("x: [-.inf]", "x[0]"), ("x: 1.0e+999", "x"), ("x: " + "9" * 5000, "x"), ("x: 0x" + "f" * 40, "x")],
)
def test_item4_yaml_non_finite_and_huge_numbers_are_refused_naming_the_field(document, field):
    assert refusal(bounds.load_yaml, document).extra["field"] == field


def test_item4_numbers_within_int64_and_finite_floats_are_kept_exactly():
    assert bounds.load_json('{"a": 9223372036854775807, "b": -9223372036854775807, "c": 1.5e300}') == {
        "a": 2**63 - 1,
        "b": -(2**63 - 1),
        "c": 1.5e300,
    }


# --- item 5: lone surrogates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "document, field",
    [('{"name": "\\ud800"}', "name"), ('{"p": {"\\udc00x": 1}}', 'p["\\udc00x"]'), ('["ok", "\\udfff"]', "[1]")],
)
def test_item5_lone_surrogate_escapes_are_refused_naming_the_field(document, field):
    error = refusal(bounds.load_json, document)
    assert "unpaired surrogate" in error.detail and error.extra["field"] == field


def test_item5_surrogate_pairs_are_ordinary_text():
    assert bounds.load_json('{"smile": "\\ud83d\\ude00"}') == {"smile": "\U0001f600"}


def test_item5_a_yaml_lone_surrogate_escape_is_refused():
    assert "unpaired surrogate" in refusal(bounds.load_yaml, 'x: "\\ud800"').detail


# --- item 1: document sizes ------------------------------------------------------------------------


def test_item1_a_json_body_over_the_document_limit_is_too_large_naming_the_limit():
    with pytest.raises(TooLarge) as caught:
        bounds.load_json('"' + "x" * bounds.MAX_DOCUMENT_BYTES + '"', "event")
    assert caught.value.extra["maxBytes"] == bounds.MAX_DOCUMENT_BYTES and str(bounds.MAX_DOCUMENT_BYTES) in caught.value.detail


def test_item1_a_yaml_body_has_a_smaller_limit_because_its_parser_is_slow():
    with pytest.raises(TooLarge) as caught:
        bounds.load_yaml("x: " + "y" * bounds.MAX_YAML_BYTES, "flow")
    assert caught.value.extra["maxBytes"] == bounds.MAX_YAML_BYTES and "as YAML" in caught.value.detail


def test_item1_check_size_measures_the_stored_json_and_names_the_limit():
    assert bounds.check_size({"x": "é" * 10}, 100, what="payload") == {"x": "é" * 10}
    with pytest.raises(TooLarge) as caught:
        bounds.check_size({"x": "é" * 100}, 100, what="payload", field="payload")
    assert caught.value.extra == {"maxBytes": 100, "field": "payload"}
    assert "208 bytes" in caught.value.detail


# --- items 6, 7, 8, 9: names -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Shell", "uk-bank-holidays", "a b", "déjà vu", "日本語", "🚀 launch", "x#y?z%2F", "a.b", "..a"])
def test_names_of_visible_characters_are_accepted(name):
    assert bounds.check_name(name, "name") == name


@pytest.mark.parametrize(
    "name, reason",
    [
        ("x\r\nX-Injected: yes", "control character U+000D"),  # item 6
        ("tab\there", "control character U+0009"),
        ("evil\u202etxt", "invisible formatting character U+202E"),  # item 9: RTL override
        ("zero\u200bwidth", "invisible formatting character U+200B"),
        ("bom\ufeff", "invisible formatting character U+FEFF"),
        ("nbsp\u00a0x", "non-ASCII space U+00A0"),
        ("line\u2028sep", "line separator U+2028"),
        ("filler\u3164", "invisible character U+3164"),
        ("non\ufffe", "noncharacter U+FFFE"),
    ],
)
def test_items_6_and_9_control_invisible_and_bidi_characters_are_refused_naming_them(name, reason):
    error = refusal(bounds.check_name, name, "name", what="pack name")
    assert reason in error.detail and error.extra == {"field": "name"}


@pytest.mark.parametrize("name", ["a/b", ".", ".."])
def test_item7_names_no_link_can_carry_are_refused(name):
    assert refusal(bounds.check_name, name, "name").extra["field"] == "name"


def test_item7_those_names_are_fine_where_they_are_not_a_path_segment():
    assert bounds.check_name("a/b", "labels.team", path_segment=False) == "a/b"


def test_item8_names_longer_than_the_limit_are_refused_naming_it():
    error = refusal(bounds.check_name, "x" * 10_000, "name")
    assert error.extra["maxBytes"] == bounds.MAX_NAME_BYTES and "10000 bytes" in error.detail
    assert bounds.check_name("é" * 128, "name")  # 256 bytes of UTF-8: at the limit
    refusal(bounds.check_name, "é" * 129, "name")


@pytest.mark.parametrize("name", ["", "   ", None, 5])
def test_empty_blank_and_non_string_names_are_refused(name):
    refusal(bounds.check_name, name, "name")


def test_item5_a_name_with_a_lone_surrogate_is_refused():
    assert "unpaired surrogate" in refusal(bounds.check_name, "a\ud800", "name").detail


def test_headers_the_api_reads_are_bounded_and_free_of_controls():
    assert bounds.check_header_value("application/json", "content-type") == "application/json"
    assert refusal(bounds.check_header_value, "x" * 5000, "accept").extra["maxBytes"] == bounds.MAX_HEADER_VALUE_BYTES
    assert refusal(bounds.check_header_value, "a\x00b", "host").extra["field"] == "header host"


def test_descriptions_take_any_text_within_their_limit():
    assert bounds.check_text("two\nlines\u202e", "description", what="description", max_bytes=100)
    refusal(bounds.check_text, "x" * 101, "description", what="description", max_bytes=100)


def test_a_yaml_syntax_error_is_left_to_the_caller_as_pyyaml_reports_it():
    with pytest.raises(yaml.YAMLError):
        bounds.load_yaml("a: [unclosed")
    with pytest.raises(json.JSONDecodeError):
        bounds.load_json("{nope")


# --- item 10: responses ----------------------------------------------------------------------------


def test_item10_a_list_page_stops_at_the_budget_but_always_advances():
    assert bounds.fitting([400, 400, 400], budget=1000) == 2
    assert bounds.fitting([5000, 10], budget=1000) == 1  # one oversized entry still makes a page
    assert bounds.fitting([10, 10], budget=1000) == 2
    assert bounds.fitting([], budget=1000) == 0


def test_item10_large_values_in_lists_are_cut_with_a_link_to_the_full_record():
    small = {"text": "hello"}
    assert bounds.cut(small, "http://x/full") is small
    large = {"text": "x" * 20_000}
    assert bounds.cut(large, "http://x/full") == {"truncated": True, "bytes": bounds.json_size(large), "href": "http://x/full"}


def test_item10_a_response_beyond_what_lambda_can_carry_is_refused_not_sent():
    assert bounds.check_response_size("{}") == "{}"
    with pytest.raises(TooLarge) as caught:
        bounds.check_response_size("x" * (bounds.MAX_RESPONSE_BYTES + 1))
    assert caught.value.extra["maxBytes"] == bounds.MAX_RESPONSE_BYTES


def test_item10_lists_page_by_size_with_a_next_link_that_continues_where_they_stop():
    from datetime import datetime

    from flyte_core.domain import packs

    many = [packs.Pack(id=f"P{i:05d}", name=f"P{i:05d}", labels={"pad": "x" * 200}) for i in range(12_000)]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    first = packs.list_representation(many, "http://api/", now)
    assert 0 < len(first["packs"]) < len(many) and bounds.json_size(first) < bounds.LIST_BUDGET_BYTES + 10_000
    following = next(link["href"] for link in first["links"] if link["rel"] == "next")
    assert following == f"http://api/v1/packs?start={len(first['packs'])}"
    second = packs.list_representation(many, "http://api/", now, start=len(first["packs"]))
    assert second["packs"][0]["id"] == many[len(first["packs"])].id
    small = packs.list_representation(many[:3], "http://api/", now)
    assert [link["rel"] for link in small["links"]] == ["self", "up", "help"]  # as the original, when it fits
