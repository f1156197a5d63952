"""Errors carry a reason and a position in the source the flow author wrote (api-contract §10; issue item 7)."""

from __future__ import annotations

import pytest

from flyte_core.domain.templating import TemplateError, check, parse_bool, render


@pytest.mark.parametrize(
    "source, line, column, reason",
    [
        ("{{ nonExistingFunction| }}", 1, 25, "expected a filter name"),
        ('{% if `a` == "a" %}x{% endif %}', 1, 7, "backtick"),
        ("Hello\n  {{ Event.Name|shout }}", 2, 17, "unknown filter 'shout'"),
        ("a\nb {% iff x %}", 2, 6, "unknown tag 'iff'"),
        ("{% if a %}\n{% for x in y %}\n{% endif %}", 3, 1, "{% for %} is still open"),
        ("line 1\n{% if a %}never closed", 2, 1, "is not closed"),
        ("{{ a }}\n{{ b", 2, 1, "not closed"),
        ("{{ '\\d+' }}", 1, 5, "unknown escape sequence \\d"),
        ("{{ Event.Payload|match:'(unclosed' }}", 1, 24, "invalid regular expression"),
        ("x\n\n   {{ Event.Payload|extractMatch:'a)' }}", 3, 34, "invalid regular expression"),
        ("{{ a|match('[z-a]') }}", 1, 12, "invalid regular expression"),
        ("{{ t|matchesCron:'99 * *' }}", 1, 18, "invalid cron expression"),
        ("{% include 'file' %}", 1, 4, "not supported"),
        ("{{ a == }}", 1, 9, "expected a value"),
        ("{{ é }}", 1, 4, "unexpected character"),
        ("ünïcödé {{ x|nope }}", 1, 14, "unknown filter"),  # columns count characters
    ],
)
def test_check_reports_reason_and_position(source, line, column, reason):
    with pytest.raises(TemplateError) as caught:
        check(source)
    error = caught.value
    assert reason in error.message
    assert (error.line, error.column) == (line, column)
    assert str(error).endswith(f"(line {line}, column {column})")


def test_regex_literals_that_re2_accepts_pass():
    check("{{ Event.Payload.message|match:'^flyte(\\\\s+)uk-bank-holidays$' }}")
    check("{{ x|extractMatch:'(?P<name>\\\\w+)' }}")


def test_dynamic_invalid_regex_in_match_is_false_at_run_time():
    # match with an invalid regex is False (as in the original); extractMatch is an error
    variables = {"p": "(", "s": "text"}
    assert render("{{ s|match:p }}", variables) == "False"
    with pytest.raises(TemplateError):
        render("{{ s|extractMatch:p }}", variables)


@pytest.mark.parametrize(
    "source, line, reason",
    [
        ("ok\n{{ Event.Payload.s.x }}", 2, "cannot look up 'x' on string"),
        ("{{ a }}\n\n{{ randomAlpha(-1) }}", 3, "word length must be non-negative"),
        ("{% for x in l %}\n{{ x|key:'k' }}\n{% endfor %}", 2, "must be a map"),
        ("{{ base64Decode('===') }}", 1, "base64Decode"),
        ("{{ Event.__class__ }}", 1, "not allowed"),
    ],
)
def test_render_errors_have_reason_and_line(source, line, reason):
    with pytest.raises(TemplateError) as caught:
        render(source, {"Event": {"Payload": {"s": "str"}}, "l": ["x"]})
    assert reason in caught.value.message
    assert caught.value.line == line


def test_render_never_raises_anything_but_template_error():
    for source in (
        "{{ 1 / 0 }}",
        "{{ 'a' - [] }}",
        "{{ x.y.z() }}",
        "{{ [1][5] }}",
        "{{ {'a': 1}[[]] }}",
        "{{ 'x'|slice:'a:b:c' }}",
        "{{ now.year }}",
        "{{ Event.CreatedAt < 'x' }}",
    ):
        try:
            render(source, {"Event": {"CreatedAt": 5}})
        except TemplateError:
            pass


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1", True),
        ("t", True),
        ("T", True),
        ("TRUE", True),
        ("true", True),
        ("True", True),
        ("0", False),
        ("f", False),
        ("F", False),
        ("FALSE", False),
        ("false", False),
        ("False", False),
    ],
)
def test_parse_bool_accepts_go_spellings(text, expected):
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["", " true", "true ", "yes", "TrUe", "2", "on", "\n"])
def test_parse_bool_rejects_everything_else(text):
    with pytest.raises(ValueError):
        parse_bool(text)


def test_criteria_output_parses():
    assert parse_bool(render("{{ 1 == 1 }}", {})) is True
    assert parse_bool(render("{{ Event.x|match:'y' }}", {"Event": {"x": "z"}})) is False
    with pytest.raises(ValueError):
        parse_bool(render("{{ Event.missing }}", {"Event": {}}))  # empty output is not a boolean
