"""Flows are user input: no escape from the sandbox, payloads are data, work is bounded, RE2."""

from __future__ import annotations

import time

import pytest

from flyte_core.domain.templating import TemplateError, check, limits, render

EVENT = {
    "Name": "E",
    "Pack": {"Name": "P", "Labels": {}},
    "Payload": {
        "text": "hello",
        "long": "x" * 100,
        "n": 3,
        "list": [1, 2],
        "map": {"k": "v"},
        "attack": "{{ 7 * 7 }}{% for x in range(9) %}x{% endfor %}{{ Event.__class__ }}",
    },
}
VARS = {"Event": EVENT, "Context": {"c": "{{ Context }}"}}


@pytest.mark.parametrize(
    "source",
    [
        "{{ Event.__class__ }}",
        "{{ Event.Payload.__class__.__mro__ }}",
        "{{ Event.Payload.text.__class__ }}",
        "{{ Event.Payload.text.upper }}",  # no Python methods on values
        "{{ Event.Payload.text.format }}",
        "{{ Event.Payload.list.__len__ }}",
        "{{ Event.Payload.missing.__class__ }}",  # not even through nil
        "{{ Event.Payload.map.mro }}",
        "{{ ''.__class__.__base__.__subclasses__() }}",
        "{{ randomInt.__globals__ }}",
        "{{ datastore.__code__ }}",
        "{{ template.__closure__ }}",
        "{{ range.__self__ }}",
        "{{ self.__init__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ pongo2.__class__ }}",
        "{{ Event['__class__'] }}",
        "{{ Event.Payload.items().__class__ }}",
        "{% for x in Event.Payload.list %}{{ loop.__class__ }}{% endfor %}",
        "{% for x in Event.Payload.list %}{{ forloop.__class__ }}{% endfor %}",
        "{% for x in Event.Payload.list %}{{ forloop.Parentloop.__class__ }}{% endfor %}",
        "{% macro m() %}{% endmacro %}{{ m.__globals__ }}",
    ],
)
def test_sandbox_escapes_are_errors_not_empty_strings(source):
    with pytest.raises(TemplateError):
        render(source, VARS)


def test_payload_text_is_never_rendered_as_a_template():
    attack = EVENT["Payload"]["attack"]
    assert render("{{ Event.Payload.attack }}", VARS) == attack
    assert render("{{ Event.Payload.attack|upper }}", VARS) == attack.upper()
    assert render("{{ Context.c }}", VARS) == "{{ Context }}"
    assert render("{% set x = Event.Payload.attack %}{{ x }}", VARS) == attack


def test_only_template_renders_and_only_its_first_argument():
    variables = {"tpl": "{{ ctx_value }}", "data": {"ctx_value": "{{ 1 + 1 }}"}}
    assert render("{{ template(tpl, data) }}", variables) == "{{ 1 + 1 }}"


def test_catastrophic_regex_finishes_instantly():
    payload = {"Event": {"Payload": "a" * 100_000 + "!"}}
    start = time.perf_counter()
    assert render("{{ Event.Payload|match:'^(a+)+$' }}", payload) == "False"
    assert render("{{ Event.Payload|extractMatch:'(a|aa)+$' }}", payload) == payload["Event"]["Payload"]
    assert time.perf_counter() - start < 1.0


def test_regexes_use_go_syntax():
    # backreferences and lookarounds do not exist in Go/RE2
    for pattern in ("(a)\\\\1", "a(?=b)", "(?<!a)b"):
        with pytest.raises(TemplateError):
            check("{{ x|match:'" + pattern + "' }}")
    assert render("{{ 'x y'|match:'\\\\s' }}", {}) == "True"
    assert render("{{ 'ABC'|match:'(?i)^abc$' }}", {}) == "True"
    assert render("{{ 'a1'|match:'[[:digit:]]' }}", {}) == "True"


@pytest.mark.parametrize(
    "source, message",
    [
        ("{% for i in range(20000) %}{{ Event.Payload.long }}{% endfor %}", "output too large"),
        ("{% for i in range(90000) %}xxxxxxxxxxxxxxx{% endfor %}", "output too large"),
        ("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", "loop iterations"),
        ("{{ range(1000000) }}", "range too big"),
        ("{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}", "nested too deeply"),
        ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}", "macro calls"),
        ("{{ 'x'|ljust:100000000 }}", "too large"),
        ("{{ 'x'|stringformat:'%0999999999d' }}", "too large"),
        ("{{ randomAlpha(100000000) }}", "too large"),
        ("{{ 10 ^ 1000 }}", "power"),
        ("{% set s = Event.Payload.text %}" + "{% set s = s ~ s ~ s ~ s %}" * 12 + "{{ s|length }}", "too large"),
        ("{% set s = Event.Payload.text %}" + "{% set s = s|add:s %}" * 25, "too large"),
        ("{% set n = 99999999 %}" + "{% set n = n * n %}" * 5 + "{{ n }}", "overflow"),
        ("{{ template(t, c) }}", "nested"),
    ],
)
def test_work_is_bounded(source, message):
    variables = dict(VARS, t="{{ template(t, c) }}", c={"t": "{{ template(t, c) }}", "c": {}})
    variables["c"]["c"] = variables["c"]
    start = time.perf_counter()
    with pytest.raises(TemplateError) as caught:
        render(source, variables)
    assert message in caught.value.message.lower()
    assert time.perf_counter() - start < 5.0


def test_limits_are_per_render():
    source = "{% for i in range(60000) %}{% endfor %}ok"
    for _ in range(3):  # each render gets a fresh budget
        assert render(source, {}) == "ok"


def test_sources_are_bounded():
    with pytest.raises(TemplateError, match="too large"):
        check("{{ x }}" + " " * limits.MAX_SOURCE_CHARS)


def test_deep_nesting_is_an_error_not_a_crash():
    for source in (
        "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
        "{% if true %}" * 3000 + "{% endif %}" * 3000,
        "{{ " + "not " * 5000 + "x }}",
    ):
        with pytest.raises(TemplateError):
            render(source, {})


def test_no_files_or_processes():
    for source in ("{% include '/etc/passwd' %}", "{% import 'os' as os %}", "{% extends 'x' %}", "{% ssi '/etc/passwd' %}"):
        with pytest.raises(TemplateError):
            check(source)
