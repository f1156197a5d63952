"""Templates compile once per source; importing the package stays cheap."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from flyte_core.domain.templating import engine, render

LAYER = Path(__file__).resolve().parents[3] / "layers" / "flyte_core"


def test_each_source_compiles_once():
    engine._compile.cache_clear()
    source = "{{ Event.Name }}-{{ Context.x }}"
    for name in ("a", "b", "c"):
        assert render(source, {"Event": {"Name": name}, "Context": {"x": 1}}) == f"{name}-1"
    info = engine._compile.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_invalid_sources_are_cached_too():
    engine._compile.cache_clear()
    for _ in range(3):
        try:
            render("{% if %}", {})
        except Exception:
            pass
    assert engine._compile.cache_info().misses == 1


def test_cache_is_bounded():
    engine._compile.cache_clear()
    for i in range(engine.CACHE_SIZE + 50):
        render("{{ x }}" + str(i), {"x": 1})
    assert engine._compile.cache_info().currsize == engine.CACHE_SIZE


def test_plain_strings_skip_the_engine():
    engine._compile.cache_clear()
    assert render("no tags here } at all", {}) == "no tags here } at all"
    assert engine._compile.cache_info().misses == 0


def test_import_is_lazy_and_never_touches_aws():
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(LAYER)!r})
        from flyte_core.domain.templating import TemplateError, parse_bool, DatastoreReader
        assert parse_bool("true") is True
        assert "jinja2" not in sys.modules and "re2" not in sys.modules, "eager import"
        from flyte_core.domain.templating import render, check
        assert render("{{{{ x|upper }}}}", {{"x": "a"}}) == "A"
        check("{{{{ x|match:'a+' }}}}")
        assert "jinja2" in sys.modules and "re2" in sys.modules
        assert not [m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore", "pynamodb")], "AWS import"
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
