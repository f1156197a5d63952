"""The `shellquote` filter: event text as one literal shell word (issue 19, part 3).

The proof is bash itself: a rendered `printf %s {{ value|shellquote }}` run with `bash -c`, as the
Shell pack runs its input, prints the value back unchanged, for hostile values too."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flyte_core.domain.templating import render

HOSTILE = [
    "hi; touch /tmp/flyte-pwned",
    "$(id)",
    "`id`",
    "a\nid",
    "it's",
    "'; id; '",
    "\\",
    '"$HOME"',
    "${IFS}x",
    "*",
    "~",
    "-n",
    "a && b || c | d > e < f & g",
    "\t \r",
    "",
]


def bash_prints(script: str) -> bytes:
    done = subprocess.run(["bash", "-c", script], capture_output=True, timeout=10, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def quoted_in_script(value: object) -> str:
    return render("printf %s {{ Event.Payload.value|shellquote }}", {"Event": {"Payload": {"value": value}}})


@pytest.mark.parametrize(
    "value, rendered",
    [
        ("hello", "'hello'"),
        ("", "''"),
        ("it's", "'it'\\''s'"),
        ("''", "''\\'''\\'''"),
        ("$(id)", "'$(id)'"),
        ("a\nb", "'a\nb'"),
        ("back\\slash", "'back\\slash'"),
    ],
)
def test_the_value_goes_inside_single_quotes_and_each_quote_becomes_close_escape_reopen(value, rendered):
    assert render("{{ v|shellquote }}", {"v": value}) == rendered


@pytest.mark.parametrize(
    "value, rendered",
    [
        (None, "''"),
        (5, "'5'"),
        (2.5, "'2.5'"),
        (True, "'True'"),
        ({"a": "b'c"}, "'{\"a\":\"b'\\''c\"}'"),
        (["x", 1], "'[\"x\",1]'"),
    ],
)
def test_other_values_are_rendered_as_the_engine_renders_them_then_quoted(value, rendered):
    assert render("{{ v|shellquote }}", {"v": value}) == rendered


def test_a_missing_value_is_an_empty_word_not_no_word():
    assert bash_prints("printf '<%s>' " + render("{{ Event.Payload.nothing|shellquote }}", {"Event": {"Payload": {}}})) == b"<>"


@pytest.mark.parametrize("value", HOSTILE)
def test_bash_prints_hostile_text_back_unchanged(value):
    assert bash_prints(quoted_in_script(value)) == value.encode()


def test_unquoted_the_same_text_runs_as_shell_code(tmp_path):
    # the risk the filter exists for: without it, the message's `; touch` is a second command
    victim = tmp_path / "pwned"
    script = render("printf %s {{ Event.Payload.value }}", {"Event": {"Payload": {"value": f"hi; touch {victim}"}}})
    bash_prints(script)
    assert victim.exists()
    victim.unlink()
    bash_prints(quoted_in_script(f"hi; touch {victim}"))
    assert not victim.exists()


# Any text bash can receive (no NUL, no lone surrogate), biased towards shell syntax.
_SHELL_SYNTAX = st.sampled_from([*"'\"\\`$(){}[];&|<>*?~!#\n\t -=%^", "$(", "${", "'\\''", "\\'"])
_TEXT = st.lists(st.one_of(_SHELL_SYNTAX, st.characters(exclude_categories=("Cs",), exclude_characters="\x00")), max_size=40).map(
    "".join
)


@settings(max_examples=150, deadline=None, database=None)
@given(value=_TEXT)
@example(value="'$(id)'")
@example(value="a'b'c\\'d")
def test_property_bash_prints_any_quoted_text_back_unchanged(value):
    assert bash_prints(quoted_in_script(value)) == value.encode()


@settings(max_examples=50, deadline=None, database=None)
@given(first=_TEXT, second=_TEXT)
def test_property_two_quoted_values_stay_two_words(first, second):
    script = render(
        "printf '%s\\0' {{ Event.Payload.a|shellquote }} {{ Event.Payload.b|shellquote }}",
        {"Event": {"Payload": {"a": first, "b": second}}},
    )
    assert bash_prints(script) == first.encode() + b"\0" + second.encode() + b"\0"
