"""The metrics the functions would send to CloudWatch, shown locally (issue 25).

Each invocation's EMF documents (the JSON lines Powertools prints; CloudWatch Logs turns them into
metrics) come back from its execution environment with its result. `MetricLog` logs one line per
invocation at debug level and adds them up for the summary `python -m flyte_local` prints on Ctrl-C.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("flyte_local.metrics")
KEPT_DOCUMENTS = 10_000  # the latest documents, for tests and tools that read them


def figures(document: dict[str, Any]) -> Iterable[tuple[str, str, tuple[tuple[str, str], ...], list[float]]]:
    """(metric name, unit, dimensions, values) for each metric and dimension set of an EMF document."""
    for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
        for metric in directive.get("Metrics", []):
            name = metric["Name"]
            raw = document.get(name)
            values = [float(v) for v in (raw if isinstance(raw, list) else [raw]) if isinstance(v, (int, float))]
            for keys in directive.get("Dimensions", []):
                yield name, metric.get("Unit", ""), tuple((key, str(document.get(key))) for key in keys), values


class MetricLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.documents: deque[dict[str, Any]] = deque(maxlen=KEPT_DOCUMENTS)
        self._sums: dict[tuple[str, str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
        self._counts: Counter[tuple[str, str, tuple[tuple[str, str], ...]]] = Counter()

    def add(self, function: str, documents: list[dict[str, Any]]) -> None:
        if not documents:
            return
        shown = []
        with self._lock:
            self.documents.extend(documents)
            for document in documents:
                for name, unit, dimensions, values in figures(document):
                    self._sums[(name, unit, dimensions)] += sum(values)
                    self._counts[(name, unit, dimensions)] += len(values)
                    if len(dimensions) <= 1:  # the line per request: the stack-wide figures
                        shown.append(f"{name}={_number(sum(values))}")
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s metrics: %s", function, " ".join(shown))

    def names(self) -> set[str]:
        with self._lock:
            return {name for name, _, _ in self._sums}

    def summary(self) -> str:
        """Every figure since the start: the stack-wide total, then its breakdown (sums; for units of
        time, the average and the number of values too)."""
        with self._lock:
            sums, counts = dict(self._sums), dict(self._counts)
        if not sums:
            return "Metrics: none recorded."
        lines = ["Metrics since start (as CloudWatch would have them):"]
        for name, unit, dimensions in sorted(sums, key=lambda key: (key[0], len(key[2]), key[2])):
            total, count = sums[(name, unit, dimensions)], counts[(name, unit, dimensions)]
            shown = ", ".join(f"{key}={value}" for key, value in dimensions if key != "service")
            indent = "    " if shown else "  "
            amount = (
                _number(total)
                if unit == "Count"
                else f"{_number(total)} {unit} in all, {_number(total / count)} on average over {count}"
            )
            lines.append(f"{indent}{name}{' [' + shown + ']' if shown else ''}: {amount}")
        return "\n".join(lines)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
