"""Variables, lookups and rendering (api-contract §10.2, §10.3), with the deviations of api-contract §13.9."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from flyte_core.domain.templating import TemplateError, render

CREATED = datetime(2018, 2, 14, 23, 18, 9, 48103, tzinfo=UTC)
EVENT = {
    "Name": "Output",
    "Pack": {"Id": "Shell.env.dev", "Name": "Shell", "Labels": {"env": "dev"}},
    "Payload": {
        "int": 5,
        "float": 2.5,
        "whole": 5.0,
        "big": 1e21,
        "neg": -3,
        "text": "hi",
        "yes": True,
        "no": False,
        "null": None,
        "list": [1, "a", {"b": 2.0}],
        "map": {"k": "v", "n": [1, 2]},
        "nested": {"deep": {"deeper": "x"}},
        "_private": "underscore keys are data",
    },
    "CreatedAt": CREATED,
    "ReceivedAt": CREATED.astimezone(timezone(timedelta(hours=2))),
}
VARS = {"Event": EVENT, "Context": {"env": "dev"}}


def r(source: str) -> str:
    return render(source, VARS)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("{{ Event.Payload.int }}", "5"),
        ("{{ Event.Payload.float }}", "2.5"),
        ("{{ Event.Payload.whole }}", "5"),  # the original printed 5.000000 (api-contract §13.9)
        ("{{ Event.Payload.big }}", "1e+21"),
        ("{{ Event.Payload.neg }}", "-3"),
        ("{{ Event.Payload.yes }} {{ Event.Payload.no }}", "True False"),
        ("{{ Event.Payload.null }}", ""),
        ("{{ Event.Payload.list }}", '[1,"a",{"b":2}]'),  # JSON, not a Go debug string (api-contract §13.9)
        ("{{ Event.Payload.map }}", '{"k":"v","n":[1,2]}'),
        ("{{ Event.Payload.nested.deep.deeper }}", "x"),
        ("{{ Event.Payload._private }}", "underscore keys are data"),
        ("{{ Event.CreatedAt }}", "2018-02-14 23:18:09.048103 +0000 UTC"),
        ("{{ Event.ReceivedAt }}", "2018-02-15 01:18:09.048103 +0200 +0200"),
        ("{{ Event.Pack.Id }}", "Shell.env.dev"),
        ("{{ Context.env }}", "dev"),
    ],
)
def test_rendering(source, expected):
    assert r(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "{{ Event.Payload.missing }}",
        "{{ Event.Payload.missing.deeper.still }}",  # nil stays nil through further parts
        "{{ Event.Payload.list.9 }}",
        "{{ Event.Payload.null.x }}",
        "{{ Context.nope }}",
        "{{ Nope }}",
        "{{ nope() }}",  # calling an unknown function renders ""
        "{{ Event.Payload.missing|upper }}",
    ],
)
def test_missing_values_render_empty(source):
    assert r(source) == ""


def test_missing_key_equals_empty_string():
    # the quick-start relies on it: {% if Event.Payload.threadTimestamp != '' %}
    assert r("{{ Event.Payload.missing == '' }}") == "True"
    assert r("{{ Event.Payload.missing != '' }}") == "False"
    assert r("{{ Event.Payload.null == '' }}") == "True"
    assert r("{{ Event.Payload.text == '' }}") == "False"
    assert r("{% if Event.Payload.missing != '' %}a{% else %}b{% endif %}") == "b"


@pytest.mark.parametrize(
    "source, expected",
    [
        ("{{ Event.Payload.int == 5 }}", "True"),
        ("{{ Event.Payload.whole == 5 }}", "True"),  # the original said False (api-contract §13.9)
        ("{{ Event.Payload.float == 2.5 }}", "True"),
        ("{{ Event.Payload.int == '5' }}", "False"),  # type must match for non-numbers
        ("{{ Event.Payload.yes == 1 }}", "False"),
        ("{{ Event.Payload.yes == true }}", "True"),
        ("{{ Event.Payload.text == 'hi' }}", "True"),
        ("{{ '10' > '9' }}", "True"),  # < > convert both sides to numbers
        ("{{ 'abc' > 1 }}", "False"),  # non-numeric strings are 0
        ("{{ Event.Payload.float > 2 }}", "True"),
        ("{{ Event.CreatedAt < Event.ReceivedAt }}", "False"),
    ],
)
def test_comparisons(source, expected):
    assert r(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "{{ Event.Payload.text.x }}",  # .name on a string
        "{{ Event.Payload.int.x }}",  # .name on a number
        "{{ Event.Payload.map.0 }}",  # .0 on a map
        "{{ -Event.Payload.text }}",  # sign on a non-number
        "{{ 1 / 0 }}",
        "{{ Event.Payload.list[-1] }}",  # negative index
    ],
)
def test_lookup_errors(source):
    with pytest.raises(TemplateError):
        r(source)


def test_string_index_gives_a_character():
    assert r("{{ Event.Payload.text.1 }}") == "i"
