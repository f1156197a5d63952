"""Which outputs of a template write event or context text into a shell script unsafely (issue 19).

`unquoted_interpolations` reads the compiled template (Jinja2 syntax tree), so it follows values
through `set`, `with`, `for` and macros, and knows a filter from text that looks like one."""

from __future__ import annotations

import pytest

from flyte_core.domain.templating import TemplateError, render, unquoted_interpolations


def tags(source: str) -> list[str | None]:
    return [found.expression for found in unquoted_interpolations(source)]


@pytest.mark.parametrize(
    "source, reported",
    [
        # the flow, and the same value reached in other ways
        ("echo {{ Event.Payload.message }}", ["{{ Event.Payload.message }}"]),
        (
            "echo {{ Context.room }} {{ Event.Pack.Labels.env|upper }}",
            ["{{ Context.room }}", "{{ Event.Pack.Labels.env|upper }}"],
        ),
        ("echo {{ Event.Payload.message|addslashes }} {{ Event.Payload.message|escape }}", 2),
        ("echo {{ Event.Payload['message'] }}", ["{{ Event.Payload['message'] }}"]),
        ("echo {{ Event.a ~ '.txt' }}", ["{{ Event.a ~ '.txt' }}"]),
        ("echo {{ Event.a + 'x' }}", ["{{ Event.a + 'x' }}"]),  # + of strings joins them
        ("echo {{ Event.a if Event.b else 'x' }}", ["{{ Event.a if Event.b else 'x' }}"]),
        ("{% firstof Event.a 'x' %}", ["{% firstof Event.a 'x' %}"]),
        ("{{ template('{{ m }}', Event.Payload) }}", ["{{ template('{{ m }}', Event.Payload) }}"]),
        # through names
        ("{% set m = Event.Payload.message %}{% set n = m %}echo {{ n }}", ["{{ n }}"]),
        ("{% with m=Event.Payload.message %}echo {{ m }}{% endwith %}", ["{{ m }}"]),
        ("{% for w in Event.Payload.words %}{{ w }} {% endfor %}", ["{{ w }}"]),
        ("{% for k, v in Event.Payload %}{{ k }}={{ v }} {% endfor %}", ["{{ k }}", "{{ v }}"]),
        ("{% set m %}echo {{ Event.a }}{% endset %}{{ m }}", ["{{ m }}"]),
        ("{% macro say(x) %}echo {{ x }}{% endmacro %}{{ say(Event.a) }}", ["{{ say(Event.a) }}"]),
        ("{% macro say() %}echo {{ Event.a }}{% endmacro %}{{ say() }}", ["{{ say() }}"]),
        (
            "{% macro i(x) %}{{ x }}{% endmacro %}{% macro o(y) %}{{ i(y)|shellquote }} {{ i(y) }}{% endmacro %}{{ o(Event.a) }}",
            1,
        ),
        # quoting undone after the fact
        ("echo {{ Event.a|shellquote|slice:'1:' }}", ["{{ Event.a|shellquote|slice:'1:' }}"]),
        ('{% set q = Event.a|shellquote %}echo {{ q|cut:"\'" }}', ['{{ q|cut:"\'" }}']),
        ('{% filter cut:"\'" %}echo {{ Event.a|shellquote }}{% endfilter %}', ["{{ Event.a|shellquote }}"]),
        ("{% autoescape on %}echo {{ Event.a|shellquote }}{% endautoescape %}", ["{{ Event.a|shellquote }}"]),
        # quoted, but inside the script's own quotes or comment
        ('echo "{{ Event.a|shellquote }}"', ["{{ Event.a|shellquote }}"]),
        ("echo '{{ Event.a|shellquote }}'", ["{{ Event.a|shellquote }}"]),
        ("echo `{{ Event.a|shellquote }}`", ["{{ Event.a|shellquote }}"]),
        ("true # note {{ Event.a|shellquote }}", ["{{ Event.a|shellquote }}"]),
        ('{% if Event.b %}echo "{% endif %}{{ Event.a|shellquote }}', ["{{ Event.a|shellquote }}"]),
    ],
)
def test_event_and_context_text_written_into_the_script_is_reported(source, reported):
    if isinstance(reported, int):
        assert len(tags(source)) == reported
    else:
        assert tags(source) == reported


@pytest.mark.parametrize(
    "source",
    [
        "echo {{ Event.Payload.message|shellquote }}",
        "echo {{ Event.Payload.message|upper|shellquote }} {{ Context.room|shellquote }}",
        "echo {{ (Event.a ~ Event.b)|shellquote }} {{ Event.a|shellquote ~ ' ' ~ Event.b|shellquote }}",
        "echo {{ Event.a|shellquote if Event.b else 'none' }}",
        "{% filter shellquote %}{{ Event.a }} and {{ Event.b }}{% endfilter %}",
        "{% set q = Event.a|shellquote %}echo {{ q }}",
        "{% set q %}{{ Event.a|shellquote }}{% endset %}echo {{ q }}",
        "{% macro say(x) %}echo {{ x|shellquote }}{% endmacro %}{{ say(Event.a) }}",
        "{% macro q() %}{{ Event.a|shellquote }}{% endmacro %}echo {{ q() }}",
        "{% macro i(x) %}{{ x|shellquote }}{% endmacro %}{% macro o(y) %}{{ i(y) }}{% endmacro %}echo {{ o(Event.a) }}",
        "{% for w in Event.Payload.words %}{{ w|shellquote }} {{ forloop.Counter }} {{ loop.index }}{% endfor %}",
        # numbers and booleans cannot carry shell syntax
        "sleep {{ Event.Payload.seconds|integer }}; exit {{ Event.Payload.code|float }} {{ Event.Payload.list|length }}",
        "test {{ Event.Payload.n * 2 }} {{ Event.Payload.n - 1 }} {{ -Event.Payload.n }}",
        "echo {{ Event.Payload.ok == 'yes' }} {{ Event.a and Event.b }} {{ not Event.a }} {{ Event.a is defined }}",
        "echo {{ Event.Payload.message|match:'^deploy' }}",
        # what never reaches the script, and what an event cannot choose
        "{% if Event.Payload.message == 'restart' %}systemctl restart app{% endif %}",
        "echo {{ 'a' if Event.Payload.flag else 'b' }}",
        "echo {{ datastore('hosts').web }} {{ randomAlpha(5) }} {% now '2006' %}",
        "{% verbatim %}echo {{ Event.Payload.message }}{% endverbatim %}",
        "echo '{' literal {{ 'x' }}",
        "echo \"it's\" {{ Event.a|shellquote }} # it's fine",
        "echo a\\'{{ Event.a|shellquote }}",
        "curl -s https://example.org | jq --arg after $(date +\"%Y\") -c '.events[]'",
    ],
)
def test_quoted_typed_and_unused_values_are_not_reported(source):
    assert tags(source) == []


def test_a_finding_gives_the_tag_its_position_and_the_quoted_form():
    (found,) = unquoted_interpolations("set -e\n  echo {{- Event.Payload.message|upper -}} done")
    assert (found.expression, found.line, found.column) == ("{{- Event.Payload.message|upper -}}", 2, 8)
    assert found.quoted == "{{- Event.Payload.message|upper|shellquote -}}" and found.inside is None
    (found,) = unquoted_interpolations("echo {{ Event.a ~ 'x' }}")
    assert found.quoted == "{{ (Event.a ~ 'x')|shellquote }}"
    (found,) = unquoted_interpolations('echo "{{ Event.a|shellquote }}"')
    assert found.inside == '"..."' and found.quoted is None


def test_the_quoted_form_it_proposes_renders_safely():
    (found,) = unquoted_interpolations("echo {{ Event.a ~ '!' }}")
    assert render(f"echo {found.quoted}", {"Event": {"a": "$(id)"}}) == "echo '$(id)!'"
    assert unquoted_interpolations(f"echo {found.quoted}") == []


def test_positions_survive_carriage_returns_comments_and_raw_blocks():
    source = "{# note #}{% verbatim %}{{ x }}{% endverbatim %}\r\necho {{ Event.a }}"
    (found,) = unquoted_interpolations(source)
    assert (found.expression, found.line, found.column) == ("{{ Event.a }}", 2, 6)


def test_a_long_chain_of_names_set_in_reverse_order_is_followed_to_the_end():
    chain = "".join(f"{{% set a{i} = a{i + 1} %}}" for i in range(1000)) + "{% set a1000 = Event.x %}echo {{ a0 }}"
    assert tags(chain) == ["{{ a0 }}"]  # each set is evaluated again only when the name it reads changes


def test_when_following_names_runs_out_of_work_every_bound_name_counts_as_unquoted(monkeypatch):
    from flyte_core.domain.templating import shellsafety

    source = "{% set q = Event.a|shellquote %}{% macro m(x) %}{{ x|shellquote }}{% endmacro %}echo {{ q }} {{ m(Event.b) }}"
    assert tags(source) == []
    monkeypatch.setattr(shellsafety, "WORK_PER_NODE", 0)
    monkeypatch.setattr(shellsafety, "WORK_BASE", 0)
    assert tags(source) == ["{{ q }}", "{{ m(Event.b) }}"]  # the cautious answer


def test_a_template_that_does_not_compile_is_an_error():
    with pytest.raises(TemplateError):
        unquoted_interpolations("echo {{ Event.a|nosuchfilter }}")
