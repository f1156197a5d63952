"""pongo2 syntax as real flows write it (api-contract §10.4), and plain Jinja2 syntax."""

from __future__ import annotations

import pytest

from flyte_core.domain.templating import TemplateError, check, render

EVENT = {
    "Name": "ReceivedMessage",
    "Pack": {"Id": "Slack", "Name": "Slack", "Labels": {"env": "staging"}},
    "Payload": {
        "message": "flyte uk-bank-holidays",
        "n": 5,
        "items": ["a", "b", "c"],
        "map": {"b": 2, "a": 1},
        "flag": True,
        "empty": "",
        "html": "<b>&</b>",
    },
}
VARS = {"Event": EVENT, "Context": {"room": "123", "count": "3"}}


def r(source: str, variables: dict | None = None) -> str:
    return render(source, VARS if variables is None else variables)


@pytest.mark.parametrize(
    "source, expected",
    [
        # filter arguments after a colon, with or without spaces, and Jinja2 call syntax
        ("{{ Event.Payload.message|match:'^flyte(\\\\s+)uk-bank-holidays$' }}", "True"),
        ("{{ Event.Payload.message | match: '^flyte\\\\s+' }}", "True"),
        ("{{ Event.Payload.message|match('^flyte(\\\\s+)uk-bank-holidays$') }}", "True"),
        ('{{ Event.Payload.message|match:"^nope" }}', "False"),
        ("{{ Event.Payload.items|join:', ' }}", "a, b, c"),
        ("{{ Event.Payload.items|join(', ') }}", "a, b, c"),
        ("{{ 'a-b'|split:'-'|last|upper }}", "B"),
        ("{{ Event.Payload.n|add:-1 }}", "4"),
        # pongo2 logical operators and their precedence (same level, chained to the right)
        ("{{ true && false }}", "False"),
        ("{{ false || true }}", "True"),
        ("{{ !false }}", "True"),
        ("{{ not Event.Payload.flag }}", "False"),
        ("{{ false and true or true }}", "False"),  # false and (true or true)
        ("{{ !Event.Payload.flag == false }}", "True"),  # (!flag) == false
        ("{{ Event.Payload.message and 'x' }}", "True"),  # and/or yield booleans, as in pongo2
        # comparisons
        ("{{ Event.Payload.n == 5 }}", "True"),
        ("{{ Event.Payload.n != 5 }}", "False"),
        ("{{ Event.Payload.n <> 4 }}", "True"),
        ("{{ Event.Payload.n >= 5 }} {{ Event.Payload.n < 5 }}", "True False"),
        ("{{ Context.count > 2 }}", "True"),  # strings are parsed as numbers, as pongo2 does
        ("{{ 'uk' in Event.Payload.message }}", "True"),
        ("{{ 'a' in Event.Payload.map }} {{ 'z' in Event.Payload.map }}", "True False"),
        ("{{ 'b' in Event.Payload.items }}", "True"),
        ("{{ 'x' not in Event.Payload.items }}", "True"),
        # arithmetic
        ("{{ 10 / 4 }} {{ 10.0 / 4 }} {{ 7 % 3 }} {{ 2 ^ 3 }} {{ 1 + 2 * 3 }}", "2 2.5 1 8 7"),
        ("{{ -Event.Payload.n }}", "-5"),
        ("{{ Context.count + 1 }}", "4"),
        # literals
        ('{{ "double \\"quoted\\"" }}', 'double "quoted"'),
        ("{{ 'back\\\\slash' }}", "back\\slash"),
        ("{{ 1.5 }}", "1.5"),
        # variables, indexes, calls
        ("{{ Event.Payload.items.1 }}{{ Event.Payload.items[2] }}", "bc"),
        ("{{ Event.Pack.Labels.env }} {{ Event.Pack.Name }} {{ Event.Name }}", "staging Slack ReceivedMessage"),
        ("{{ Event.Payload.map['a'] }}", "1"),
        # autoescape is off
        ("{{ Event.Payload.html }}", "<b>&</b>"),
        ("{{ Event.Payload.html|escape }}", "&lt;b&gt;&amp;&lt;/b&gt;"),
    ],
)
def test_expressions(source, expected):
    assert r(source) == expected


@pytest.mark.parametrize(
    "source, expected",
    [
        ("{% if Event.Payload.n > 3 %}big{% elif Event.Payload.n > 1 %}mid{% else %}small{% endif %}", "big"),
        ("{% if Event.Payload.empty %}x{% else %}empty{% endif %}", "empty"),
        ("{% if Event.Payload.missing != '' %}set{% else %}missing{% endif %}", "missing"),
        ("{% for x in Event.Payload.items %}{{ forloop.Counter }}{{ x }}{% endfor %}", "1a2b3c"),
        (
            "{% for x in Event.Payload.items %}{{ forloop.Counter0 }}{{ forloop.Revcounter }}"
            "{{ forloop.Revcounter0 }}{% if forloop.First %}F{% endif %}{% if forloop.Last %}L{% endif %} {% endfor %}",
            "032F 121 210L ",
        ),
        ("{% for x in Event.Payload.items reversed %}{{ x }}{% endfor %}", "cba"),
        ("{% for k, v in Event.Payload.map sorted %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;"),
        ("{% for k in Event.Payload.map %}{{ k }}{% endfor %}", "ba"),
        ("{% for x in Event.Payload.nothing %}{{ x }}{% empty %}none{% endfor %}", "none"),
        (
            "{% for x in Event.Payload.items %}{% for y in Event.Payload.items %}"
            "{% if forloop.Parentloop.Counter == forloop.Counter %}{{ x }}{% endif %}{% endfor %}{% endfor %}",
            "abc",
        ),
        ("{% for x in Event.Payload.items %}{{ loop.index }}{% endfor %}", "123"),  # Jinja2's loop works too
        ("{% set total = Event.Payload.n * 2 %}{{ total }}", "10"),
        ("{% set greeting %}hi {{ Event.Name }}{% endset %}{{ greeting|upper }}", "HI RECEIVEDMESSAGE"),
        ("{% with a=1 b=Event.Payload.n %}{{ a + b }}{% endwith %}", "6"),
        ("{% with Event.Pack.Name as pack %}{{ pack }}{% endwith %}", "Slack"),
        ("{% firstof Event.Payload.missing Event.Payload.empty 'fallback' %}", "fallback"),
        ("{% for x in Event.Payload.items %}{% cycle 'odd' 'even' %} {% endfor %}", "odd even odd "),
        ("{% for x in 'aab' %}{% ifchanged %}{{ x }}{% endifchanged %}{% endfor %}", "ab"),
        ("{% for x in 'aab' %}{% ifchanged x %}{{ x }}{% else %}-{% endifchanged %}{% endfor %}", "a-b"),
        ("{% ifequal Event.Payload.n 5 %}five{% endifequal %}", "five"),
        ("{% ifnotequal Event.Payload.n 5 %}x{% else %}five{% endifnotequal %}", "five"),
        ("{% filter upper|cut:' ' %}a b c{% endfilter %}", "ABC"),
        ("{% spaceless %}<p> <b>x</b> </p>{% endspaceless %}", "<p><b>x</b></p>"),
        ("{% templatetag openvariable %} x {% templatetag closevariable %}", "{{ x }}"),
        ("{% widthratio 175 200 100 %}", "88"),
        (
            "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Jo') }} {{ greet('Al', '?') }}",
            "Hi Jo! Hi Al?",
        ),
        ("{% verbatim %}{{ not rendered }}{% endverbatim %}", "{{ not rendered }}"),
        ("{% autoescape on %}{{ Event.Payload.html }}{% endautoescape %}", "&lt;b&gt;&amp;&lt;/b&gt;"),
        ("{% autoescape off %}{{ Event.Payload.html }}{% endautoescape %}", "<b>&</b>"),
        ("{% now '2006' fake %}", "2014"),
        ("{% lorem 2 w %}", "lorem ipsum"),
    ],
)
def test_tags(source, expected):
    assert r(source) == expected


@pytest.mark.parametrize(
    "source, expected",
    [
        ("a{# a comment #}b", "ab"),
        ("a{% comment %}\nnothing {{ here }}\n{% endcomment %}b", "ab"),
        ("line1\n{% if true %}\nline2\n{% endif %}\n", "line1\n\nline2\n\n"),  # text kept verbatim
        ("a  {%- if true -%}  b  {%- endif -%}  c", "abc"),
        ("a  {{- 'b' -}}  c", "abc"),
        ("crlf\r\nkept{{ '' }}\r\n", "crlf\r\nkept\r\n"),
        ("trailing newline kept\n", "trailing newline kept\n"),
    ],
)
def test_text_comments_and_whitespace(source, expected):
    assert r(source) == expected


def test_plain_text_is_returned_unchanged():
    script = 'curl -s https://x | jq --arg after $(date +"%Y") \'.events[] | "\\(.date)"\''
    assert r(script) == script


@pytest.mark.parametrize(
    "source",
    [
        "{{ x|nosuchfilter }}",
        "{% nosuchtag %}",
        "{% include 'other.html' %}",
        "{% extends 'base.html' %}",
        "{% if x %}unclosed",
        "{{ 'a\\sb' }}",  # pongo2 allows only \\\\ and \\" escapes
        "{{ `a` }}",
        "{{ 'multi\nline' }}",
        "{{ a b }}",
        "{% for x in y %}{% endif %}",
    ],
)
def test_invalid_templates_are_rejected(source):
    with pytest.raises(TemplateError):
        check(source)
    with pytest.raises(TemplateError):
        render(source, {})
