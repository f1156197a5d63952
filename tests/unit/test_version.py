"""One release number (issue 26): flyte_core's `__version__`, which /v1 reports, is every package's
version, the one `flyte --version` prints and the packs send in their User-Agent, and the latest
release of CHANGELOG.md."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import flyte_core

ROOT = Path(__file__).resolve().parents[2]
PYPROJECTS = [ROOT / "pyproject.toml", ROOT / "cli" / "pyproject.toml", *sorted((ROOT / "packs").glob("*/pyproject.toml"))]


def test_the_release_is_a_semantic_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", flyte_core.__version__)


@pytest.mark.parametrize("pyproject", PYPROJECTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_package_carries_the_release(pyproject):
    assert tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"] == flyte_core.__version__


def test_the_changelog_latest_release_is_the_release():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## (\d+\.\d+\.\d+) - \d{4}-\d{2}-\d{2}$", changelog, re.MULTILINE)
    assert releases and releases[0] == flyte_core.__version__
    assert changelog.index("## Unreleased") < changelog.index(f"## {releases[0]}")


def test_flyte_version_prints_the_release():
    from typer.testing import CliRunner

    from flyte_cli.main import app

    done = CliRunner().invoke(app, ["--version"])
    assert done.exit_code == 0 and done.output.strip() == f"flyte {flyte_core.__version__}"


def test_packs_name_the_release_in_their_user_agent():
    import flyte_pack
    from flyte_pack.client import FlyteClient

    assert flyte_pack.__version__ == flyte_core.__version__
    client = FlyteClient(flyte_pack.Config(api_url="http://flyte.example"))
    assert client.session.headers["User-Agent"] == f"flyte-pack-python/{flyte_core.__version__}"
