"""Item 13 of issue 8: names Jinja2 gives a meaning of its own are ordinary names in Flyte templates:
unbound they are undefined (render as nothing), bound they hold what the template put there."""

from __future__ import annotations

import pytest

from flyte_core.domain.templating.engine import render


@pytest.mark.parametrize(
    "template",
    [
        "[{{ self }}]",
        "[{{ self.name }}]",
        "{% for x in xs %}[{{ self }}]{% endfor %}",
        "{% macro m() %}[{{ varargs }}{{ kwargs }}{{ caller }}]{% endmacro %}{{ m() }}",
    ],
)
def test_item13_unbound_engine_names_render_as_undefined_like_any_other(template):
    assert "<" not in render(template, {"xs": [1]})
    assert render(template, {"xs": [1]}) == render(
        template.replace("self", "nothing")
        .replace("varargs", "nothing")
        .replace("kwargs", "nothing")
        .replace("caller", "nothing"),
        {"xs": [1]},
    )


@pytest.mark.parametrize(
    "template, rendered",
    [
        ("{% for self in xs %}{{ self }}{% endfor %}", "12"),
        ("{% with self = 3 %}{{ self }}{% endwith %}", "3"),
        ("{% set caller = 'c' %}{{ caller }}", "c"),
        ("{% macro m(self, kwargs=2) %}{{ self }}{{ kwargs }}{% endmacro %}{{ m(5) }}{{ m(self=6, kwargs=7) }}", "5267"),
    ],
)
def test_item13_templates_may_still_bind_those_names_themselves(template, rendered):
    assert render(template, {"xs": [1, 2]}) == rendered
