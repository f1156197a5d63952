"""Issue 21: a short, bounded version of the load benchmark (bench/bench_load.py): events posted as fast
as the local stack takes them by concurrent clients, a flow making one action of each, packs
long-polling for them from several threads and posting results. Nothing may be lost or duplicated:
every event matched once into one action, every action handed out once and finished with one
result, every result recorded and matched once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_load import run_load

pytestmark = pytest.mark.e2e


def test_issue21_a_bounded_load_loses_and_duplicates_nothing(stack):
    report = run_load(stack, events=60, posters=3, takers=3, deadline_seconds=150)
    assert report.problems == []
    assert sorted(report.taken) == list(range(60)) and set(report.taken.values()) == {1}
