"""Flyte's template functions (api-contract §10.6) and datastore() (api-contract §7)."""

from __future__ import annotations

import re

import pytest

from flyte_core.domain.templating import TemplateError, render

STORE = {
    "teams": {"contentType": "application/json", "value": '{"teama": {"email": "a@x.com", "room": "10000"}, "n": 7}'},
    "legacy": {"contentType": "text/json; charset=utf-8", "value": '{"k": "v"}'},
    "motd": {"contentType": "text/plain; charset=us-ascii", "value": "hello {{ not a template }}"},
    "list": {"contentType": "application/json", "value": "[1, 2]"},
    "broken": {"contentType": "application/json", "value": "{nope"},
}


@pytest.fixture
def reader(make_reader):
    calls: list[str] = []
    read = make_reader(STORE)

    def counting(key: str):
        calls.append(key)
        return read(key)

    counting.calls = calls  # type: ignore[attr-defined]
    return counting


def test_random_int_is_in_range():
    for _ in range(50):
        assert 0 <= int(render("{{ randomInt(3) }}", {})) < 3


def test_random_alpha_has_letters_only():
    assert re.fullmatch(r"[A-Za-z]{12}", render("{{ randomAlpha(12) }}", {}))
    assert render("{{ randomAlpha(0) }}", {}) == ""


@pytest.mark.parametrize(
    "source, message",
    [
        ("{{ randomInt(0) }}", "randomInt"),
        ("{{ randomInt('3') }}", "must be an integer"),
        ("{{ randomInt(2.5) }}", "must be an integer"),
        ("{{ randomAlpha(-1) }}", "word length must be non-negative"),
        ("{{ base64Encode(5) }}", "must be a string"),
        ("{{ base64Decode('aGk=') }}", "base64Decode"),  # padding is not allowed
        ("{{ base64Decode('a+/b') }}", "base64Decode"),  # standard alphabet is not allowed
        ("{{ unmarshalJson('[1]') }}", "not an object"),
        ("{{ unmarshalJson('{') }}", "invalid JSON"),
        ("{{ randomInt(1, 2) }}", "takes 1 argument"),
    ],
)
def test_function_errors(source, message):
    with pytest.raises(TemplateError) as caught:
        render(source, {})
    assert message in caught.value.message


def test_base64_is_url_safe_without_padding():
    assert render("{{ base64Encode('hi?>') }}", {}) == "aGk_Pg"
    assert render("{{ base64Decode('aGk_Pg') }}", {}) == "hi?>"
    assert render("{{ base64Decode(base64Encode(s)) }}", {"s": "ʘ‿ʘ ünïcode"}) == "ʘ‿ʘ ünïcode"


def test_unmarshal_json_gives_a_map():
    assert render("{{ unmarshalJson(j).a.b }}", {"j": '{"a": {"b": [1, 2]}}'}) == "[1,2]"


def test_datastore_json_item_is_a_map(reader):
    assert render("{{ datastore('teams').teama.email }}", {}, reader) == "a@x.com"
    assert render("{{ datastore('teams').n + 1 }}", {}, reader) == "8"
    assert render("{{ datastore('legacy').k }}", {}, reader) == "v"


def test_datastore_other_item_is_text_and_never_rendered(reader):
    assert render("{{ datastore('motd') }}", {}, reader) == "hello {{ not a template }}"


def test_datastore_value_as_filter_argument(reader):
    event = {"Event": {"Payload": "email 10000"}}
    assert render("{{ Event.Payload | match: datastore('teams').teama.room }}", event, reader) == "True"


def test_datastore_is_read_once_per_render(reader):
    render("{{ datastore('teams').teama.email }} {{ datastore('teams').teama.room }}", {}, reader)
    assert reader.calls == ["teams"]
    render("{{ datastore('teams').n }}", {}, reader)
    assert reader.calls == ["teams", "teams"]  # nothing is kept between renders


@pytest.mark.parametrize(
    "source, message",
    [
        ("{{ datastore('missing') }}", "no such item"),
        ("{{ datastore('list') }}", "not an object"),
        ("{{ datastore('broken') }}", "invalid JSON"),
        ("{{ datastore(5) }}", "must be a string"),
    ],
)
def test_datastore_errors(reader, source, message):
    with pytest.raises(TemplateError) as caught:
        render(source, {}, reader)
    assert message in caught.value.message


def test_datastore_without_reader_is_an_error():
    with pytest.raises(TemplateError):
        render("{{ datastore('teams') }}", {})


def test_template_renders_first_argument_with_its_map():
    variables = {
        "tpl": "Hello {{ team.name }}{{ Event.Name }}",
        "ctx": {"team": {"name": "Flyte"}},
        "Event": {"Name": "not visible inside"},
    }
    assert render("{{ template(tpl, ctx) }}", variables) == "Hello Flyte"


def test_template_functions_stay_available_and_shadow_map_keys():
    assert render("{{ template(\"{{ base64Encode('hi') }}\", ctx) }}", {"ctx": {"base64Encode": "x"}}) == "aGk"


def test_template_errors_propagate():
    with pytest.raises(TemplateError) as caught:
        render("{{ template('{{ randomAlpha(-4) }}', ctx) }}", {"ctx": {}})
    assert "word length must be non-negative" in caught.value.message
    with pytest.raises(TemplateError):
        render("{{ template('{% if %}', ctx) }}", {"ctx": {}})
    with pytest.raises(TemplateError):
        render("{{ template('x', 'not a map') }}", {})


def test_pongo2_version():
    assert render("{{ pongo2.version }}", {}) == "dev"


def test_a_reader_may_render_templates_itself(make_reader):
    inner = make_reader(STORE)

    def reader(key: str):
        # a reader that renders (e.g. a cache key template) must not disturb the outer render
        assert render("{{ k|upper }}", {"k": key}) == key.upper()
        return inner(key)

    assert render("{{ datastore('teams').teama.room }}-{{ datastore('legacy').k }}", {}, reader) == "10000-v"


def test_concurrent_renders_do_not_share_state(make_reader):
    from concurrent.futures import ThreadPoolExecutor

    # long enough (tens of ms) that the four threads switch mid-render many times
    source = "{% for i in range(3000) %}{% endfor %}{{ datastore('teams').teama.email }}:{{ n }}"
    reader = make_reader(STORE)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda n: render(source, {"n": n}, reader), range(40)))
    assert results == [f"a@x.com:{n}" for n in range(40)]
