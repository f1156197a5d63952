"""The lock files install what the requirements files ask for: every exact pin of requirements-{run,dev,sam}.txt
(and the files they include, and the CLI's and packs' pyproject.toml) is the version its lock pins, and
the two .venv sets pin the same versions. A pin changed without `make lock` fails here, naming the file."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
SETS = ["run", "dev", "sam"]


def lock_pins(name: str) -> dict[str, set[str]]:
    pins: dict[str, set[str]] = {}
    for line in (ROOT / f"requirements-{name}.lock").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)", line)
        if match:
            pins.setdefault(canonicalize_name(match[1]), set()).add(match[2])
    return pins


def lock_editables(name: str) -> set[str]:
    text = (ROOT / f"requirements-{name}.lock").read_text(encoding="utf-8")
    return {line.split(maxsplit=1)[1] for line in text.splitlines() if line.startswith("-e ")}


def project_name(editable: str) -> str:
    return tomllib.loads((ROOT / editable / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]


def wanted(path: Path) -> tuple[list[Requirement], set[str]]:
    """The requirements a requirements file names, with its -r includes and its editables' own dependencies."""
    requirements: list[Requirement] = []
    editables: set[str] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-r "):
            more, more_editables = wanted((path.parent / line[3:].strip()).resolve())
            requirements += more
            editables |= more_editables
        elif line.startswith("-e "):
            editables.add(line[3:].strip())
            project = tomllib.loads((ROOT / line[3:].strip() / "pyproject.toml").read_text(encoding="utf-8"))["project"]
            requirements += [Requirement(dependency) for dependency in project.get("dependencies", [])]
        else:
            requirements.append(Requirement(line))
    return requirements, editables


@pytest.mark.parametrize("name", SETS)
def test_every_exact_pin_is_the_version_the_lock_installs(name):
    requirements, editables = wanted(ROOT / f"requirements-{name}.txt")
    pins = lock_pins(name)
    local = {canonicalize_name(project_name(path)) for path in editables}  # the packs' SDK, installed editable
    assert requirements
    for requirement in [r for r in requirements if canonicalize_name(r.name) not in local]:
        locked = pins.get(canonicalize_name(requirement.name))
        assert locked, f"{requirement.name} is not in requirements-{name}.lock: run `make lock`"
        assert all(requirement.specifier.contains(version, prereleases=True) for version in locked), (
            f"requirements-{name}.lock pins {requirement.name} {sorted(locked)}, outside {requirement}: run `make lock`"
        )
    assert lock_editables(name) == editables


def test_make_run_and_make_test_install_the_same_versions_into_the_one_venv():
    run, dev = lock_pins("run"), lock_pins("dev")
    assert run.keys() <= dev.keys()
    assert {name: run[name] for name in run} == {name: dev[name] for name in run}
    assert lock_editables("run") == lock_editables("dev")
