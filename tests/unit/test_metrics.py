"""Issue 25: the engine's figures in CloudWatch's embedded metric format, with bounded dimensions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from flyte_core import observability
from flyte_core.observability import OTHER, DimensionCap


@pytest.fixture
def emf(monkeypatch, capsys):
    """The EMF documents printed by one flush (what CloudWatch Logs would turn into metrics)."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Flyte")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "flyte")
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.setattr(observability.metrics, "namespace", "Flyte")
    monkeypatch.setattr(observability.metrics, "service", "flyte")
    observability.metrics.clear_metrics()
    # and no breakdowns left unflushed by whatever ran earlier in this process (another test module's
    # handlers, on the same pytest worker)
    monkeypatch.setattr(observability, "_breakdowns", observability._Breakdowns())
    capsys.readouterr()

    def flush() -> list[dict]:
        observability.metrics.flush_metrics()
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]

    return flush


def figures(documents: list[dict], name: str) -> list[tuple[dict[str, str], list[float]]]:
    """(dimensions, values) of every document that carries the metric."""
    found = []
    for document in documents:
        directive = document["_aws"]["CloudWatchMetrics"][0]
        if any(metric["Name"] == name for metric in directive["Metrics"]):
            value = document[name]
            for keys in directive["Dimensions"]:
                found.append(({key: document[key] for key in keys}, value if isinstance(value, list) else [value]))
    return found


def test_a_cap_gives_the_first_values_their_own_dimension_and_the_rest_other():
    cap = DimensionCap(2)
    assert [cap("deploy"), cap("backup"), cap("third"), cap("deploy")] == ["deploy", "backup", OTHER, "deploy"]
    assert cap("x" * 300) == OTHER  # a new value past the cap, however long
    assert len(DimensionCap(5)("y" * 300)) == observability.MAX_DIMENSION_CHARS


def test_a_figure_is_emitted_stack_wide_and_per_flow(emf):
    observability.record_step("deploy", fired=True)
    observability.record_step("deploy", fired=False, reason="criteria")
    observability.record_step("deploy", fired=False, reason="criteria")
    documents = emf()
    fired = figures(documents, observability.STEPS_FIRED)
    assert fired == [({"service": "flyte"}, [1]), ({"service": "flyte", "flow": "deploy"}, [1])]
    skipped = figures(documents, observability.STEPS_SKIPPED)
    assert ({"service": "flyte", "flow": "deploy", "reason": "criteria"}, [1, 1]) in skipped
    assert all(document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Flyte" for document in documents)
    assert emf() == []  # a flush writes each figure once


def test_flows_past_the_cap_share_the_other_dimension(emf, monkeypatch):
    monkeypatch.setattr(observability, "_flows", DimensionCap(1))
    for flow in ("first", "second", "third"):
        observability.record_template_failure(flow)
    found = figures(emf(), observability.TEMPLATE_FAILURES)
    assert {dims["flow"]: sum(values) for dims, values in found if "flow" in dims} == {"first": 1, OTHER: 2}
    assert sum(sum(values) for dims, values in found if "flow" not in dims) == 3  # the stack-wide figure counts all


def test_latencies_are_milliseconds_between_the_two_moments(emf):
    received = datetime(2026, 1, 1, tzinfo=UTC)
    observability.record_action_created("deploy", "shell", "run", received, received + timedelta(milliseconds=250))
    observability.record_action_finished("shell", "run", "FATAL", received, received + timedelta(seconds=2))
    documents = emf()
    assert ({"service": "flyte", "flow": "deploy"}, [250.0]) in figures(documents, observability.EVENT_TO_ACTION_MS)
    assert ({"service": "flyte", "pack": "shell", "command": "run"}, [2000.0]) in figures(
        documents, observability.ACTION_TO_RESULT_MS
    )
    assert ({"service": "flyte", "pack": "shell", "command": "run"}, [1]) in figures(documents, observability.ACTIONS_FATAL)
    assert figures(documents, observability.ACTIONS_SUCCEEDED) == []


def test_commands_of_a_pack_past_the_cap_are_other(emf, monkeypatch):
    monkeypatch.setattr(observability, "_commands", DimensionCap(1))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    observability.record_action_finished("shell", "run", "SUCCESS", None, now)
    observability.record_action_finished("shell", "other-command", "SUCCESS", None, now)
    commands = {dims.get("command") for dims, _ in figures(emf(), observability.ACTIONS_SUCCEEDED)}
    assert commands == {None, "run", OTHER}


def test_every_metric_name_is_named_once():
    assert len(set(observability.EVERY_METRIC)) == len(observability.EVERY_METRIC)
