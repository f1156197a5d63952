"""Flyte's filters (api-contract §10.5) and pongo2's built-in filters under their pongo2 names (api-contract §10.7)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flyte_core.domain.templating import TemplateError, render

VARS = {
    "Event": {
        "Name": "E",
        "Pack": {"Name": "P", "Labels": {}},
        "Payload": {
            "status": "success",
            "detail": {"success": True, "n": 3},
            "pairs": "bn=100,ENV=staging, LBL= 1.2.3,bad,a=b=c",
            "list": ["x", "y", "z"],
            "n": 5,
            "f": 2.75,
            "s": "12.9",
            "nbsp": "a\u00a0b",
            "text": "The quick brown fox",
            "ws": " a \t\n b  ",
            "lines": "a\nb",
            "para": "a\n\nb",
            "when": "2018-02-14T23:18:09.0481031Z",
        },
        "CreatedAt": datetime(2024, 3, 5, 7, 8, 9, 120000, tzinfo=UTC),
    },
    "Context": {"room": "C1"},
}


def r(source: str) -> str:
    return render(source, VARS)


@pytest.mark.parametrize(
    "source, expected",
    [
        # key
        ("{{ Event.Payload.detail|key:Event.Payload.status }}", "True"),
        ("{{ Event.Payload.detail|key:'missing' }}", ""),
        ("{{ Event.Payload.nothing|key:'x' }}", ""),
        ("{{ Context|key:'room' }}", "C1"),
        # match: unanchored RE2 search, invalid regex is False
        ("{{ Event.Payload.text|match:'quick' }}", "True"),
        ("{{ Event.Payload.text|match:'^quick' }}", "False"),
        ("{{ Event.Payload.text|match:'(?i)^the' }}", "True"),
        ("{{ Event.Payload.n|match:'^5$' }}", "True"),
        ("{% set bad = '(' %}{{ Event.Payload.text|match:bad }}", "False"),
        # extractMatch
        ("{{ Event.Payload.text|extractMatch:'(\\\\w+) fox' }}", "brown"),
        ("{{ Event.Payload.text|extractMatch:'quick' }}", "The quick brown fox"),  # no group
        ("{{ Event.Payload.text|extractMatch:'(cat)' }}", "The quick brown fox"),  # no match
        ("{{ Event.Payload.text|extractMatch:'(x)?quick' }}", ""),  # unset group
        # kvp
        (
            "{% set kv = Event.Payload.pairs|kvp %}{{ kv.bn }}|{{ kv.ENV }}|{{ kv.LBL }}|{{ kv.a }}|{{ kv.bad }}",
            "100|staging|1.2.3||",
        ),
        # index
        ("{{ Event.Payload.list|index:1 }}", "y"),
        ("{{ Event.Payload.list|index:9 }}", ""),
        ("{{ Event.Payload.detail|index:0 }}", ""),
        ("{{ 'abc'|index:2 }}", "c"),
        # matchesCron
        ("{{ Event.Payload.when|matchesCron:'18 23 * * *' }}", "True"),
        ("{{ Event.Payload.when|matchesCron:'18 23 14 FEB WED 2018' }}", "True"),
        ("{{ Event.Payload.when|matchesCron:'19 23 * * *' }}", "False"),
        ("{{ Event.CreatedAt|matchesCron:'8 7 5 3 *' }}", "True"),
        # whitespace
        ("{{ Event.Payload.ws|removedupwhitespaces }}", " a b"),
        ("{{ Event.Payload.nbsp|safecopypaste }}", "a b"),
    ],
)
def test_flyte_filters(source, expected):
    assert r(source) == expected


@pytest.mark.parametrize(
    "source, message",
    [
        ("{{ Event.Payload.text|key:'x' }}", "must be a map"),
        ("{% set bad = '(' %}{{ Event.Payload.text|extractMatch:bad }}", "invalid regular expression"),
        ("{{ Event.Payload.list|index:-1 }}", "negative"),
        ("{{ 'yesterday'|matchesCron:'* * * * *' }}", "invalid date: 'yesterday'"),
        ("{{ '2018-02-14T23:18:09'|matchesCron:'* * * * *' }}", "invalid date"),  # offset required
        ("{{ Event.Payload.when|matchesCron:'61 * * * * * *' }}", "Invalid Cron Expression"),
    ],
)
def test_flyte_filter_errors(source, message):
    with pytest.raises(TemplateError) as caught:
        r(source)
    assert message in caught.value.message


@pytest.mark.parametrize(
    "source, expected",
    [
        (
            "{{ 'hello'|upper }} {{ 'HeLLo'|lower }} {{ 'hello wORLD'|title }} {{ 'hello'|capfirst }}",
            "HELLO hello Hello World Hello",
        ),
        ("{{ 5|title }}", ""),
        ("{{ 'héllo'|length }} {{ Event.Payload.list|length }} {{ Event.Payload.detail|length }} {{ 5|length }}", "5 3 2 0"),
        ("{{ Event.Payload.list|first }}{{ Event.Payload.list|last }}{{ ''|first }}", "xz"),
        ("{{ Event.Payload.list|join:'+' }} {{ 'abc'|join:'.' }} {{ 5|join:'.' }}", "x+y+z a.b.c 5"),
        ("{{ 'a,b,c'|split:','|length }}", "3"),
        (
            "{{ 'abcdef'|slice:'1:3' }} {{ 'abcdef'|slice:':2' }} {{ 'abcdef'|slice:'4:' }} {{ 'abcdef'|slice:'2:99' }}",
            "bc ab ef cdef",
        ),
        ("{{ Event.Payload.list|slice:'1:' }}", '["y","z"]'),
        (
            "{{ Event.Payload.none|default:'n/a' }} {{ ''|default:'empty' }} {{ 0|default:'zero' }} {{ 'x'|default:'y' }}",
            "n/a empty zero x",
        ),
        ("{{ Event.Payload.none|default_if_none:'nil' }} {{ ''|default_if_none:'nil' }}", "nil "),
        ("{{ '12.9'|integer }} {{ 12.9|integer }} {{ 'abc'|integer }} {{ Event.Payload.n|integer }}", "12 12 0 5"),
        ("{{ '2.5'|float }} {{ 3|float }}", "2.5 3"),
        ("{{ 1|add:2 }} {{ 1|add:2.5 }} {{ 'a'|add:'b' }} {{ 'a'|add:1 }}", "3 3.5 ab a1"),
        ("{{ 5|stringformat:'%05d' }} {{ 2.75|stringformat:'%.1f' }} {{ 'x'|stringformat:'[%5s]' }}", "00005 2.8 [    x]"),
        ("{{ Event.Payload.n|stringformat:'%.2f' }}", "5.00"),
        ("{{ 'abcdefgh'|truncatechars:5 }} {{ 'abc'|truncatechars:5 }} {{ 'abcdef'|truncatechars:2 }}", "ab... abc ab"),
        ("{{ Event.Payload.text|truncatewords:2 }}", "The quick ..."),
        ("{{ true|yesno }} {{ false|yesno }} {{ Event.Payload.none|yesno }} {{ true|yesno:'on,off' }}", "yes no maybe on"),
        ("{{ Event.CreatedAt|date:'2006-01-02 15:04:05.000 Mon Jan' }}", "2024-03-05 07:08:09.120 Tue Mar"),
        ("{{ Event.CreatedAt|time:'3:04PM' }}", "7:08AM"),
        ("{{ 'a b&c'|urlencode }}", "a+b%26c"),
        ("{{ 'banana'|cut:'a' }}", "bnn"),
        ("[{{ 'ab'|center:6 }}] [{{ 'ab'|ljust:4 }}] [{{ 'ab'|rjust:4 }}]", "[  ab  ] [ab  ] [  ab]"),
        ("{{ Event.Payload.text|wordcount }}", "4"),
        ("{{ 'a b c'|wordwrap:2 }}", "a b\nc"),
        ("{{ Event.Payload.lines|linebreaksbr }}", "a<br />b"),
        ("{{ '<b>bold</b> text'|striptags }}", "bold text"),
        ("{{ '<b>bold</b> <i>it</i>'|removetags:'b' }}", "bold <i>it</i>"),
        ("{{ '<a>'|safe }}", "<a>"),
        ("{{ 'a\"b'|addslashes }}", 'a\\"b'),
        ("{{ 'a b'|escapejs }}", "a b"),
        ("{{ 'é/x y'|iriencode }}", "%C3%A9/x+y"),
        ("{{ 3.14159|floatformat:2 }} {{ 3.0|floatformat }} {{ 3.15|floatformat }}", "3.14 3 3.1"),
        ("{{ 21|divisibleby:7 }} {{ 21|divisibleby:5 }}", "True False"),
        ("{{ 12345|get_digit:2 }}", "4"),
        ("{{ 'abc'|length_is:3 }}", "True"),
        ("{{ 'ab'|make_list }}", '["a","b"]'),
        ("{{ 1|pluralize }}{{ 2|pluralize }} {{ 2|pluralize:'y,ies' }}", "s ies"),
        ("{{ '1-800-FLYTE'|phone2numeric }}", "1-800-35983"),
        ("{{ 'see www.example.com'|urlize }}", 'see <a href="http://www.example.com" rel="nofollow">www.example.com</a>'),
        ("{{ Event.Payload.lines|linenumbers }}", "1. a\n2. b"),
        ("{{ Event.Payload.para|linebreaks }}", "<p>a</p><p>b</p>"),
    ],
)
def test_pongo2_builtin_filters(source, expected):
    assert r(source) == expected


def test_random_filter_picks_an_element():
    assert r("{{ Event.Payload.list|random }}") in ("x", "y", "z")


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'abc'|date:'2006' }}",  # date/time only on time values
        "{{ 'abc'|slice:'1' }}",  # the colon is mandatory
        "{{ 'abc'|slice:'-1:' }}",  # negative -> error
        "{{ 'x'|pluralize }}",  # numbers only
        "{{ true|yesno:'a' }}",
    ],
)
def test_builtin_filter_errors(source):
    with pytest.raises(TemplateError):
        r(source)
