"""Logging with correlation ids, tracing and metrics, shared by every function (Powertools).

The metrics the engine emits are named here and only here (issue 25): services call the `record_*`
functions below, never `metrics.add_metric` with a name of their own, so that the dashboard and alarms
in template.yaml (which a test checks against the emitted names) and the code cannot drift apart.

Each figure is emitted in CloudWatch's embedded metric format with the `service` dimension (the
stack-wide figure the alarms watch) and, where it has a breakdown, with a second dimension set in the
same document: its flow, pack, command, reason or status (one value, two aggregations). Those names are chosen by users, and every distinct dimension value is
a custom metric (billed each month), so what becomes a dimension is bounded (`DimensionCap`): each
execution environment gives its own dimension to the first FLYTE_METRICS_DIMENSION_CAP values of each
kind (flows, packs, pack commands) it sees and puts the rest under `other`; values are cut to
MAX_DIMENSION_CHARS. Reasons and states are the engine's own short lists.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

# A request that records no metric is normal; Powertools would warn on each one.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
# Every AWS call goes through a botocore client (PynamoDB's too), so patching botocore traces each
# one once; the default patches a dozen libraries more (sqlite3, requests, PynamoDB's HTTP session,
# which traced DynamoDB calls twice) at the cost of importing them on every cold start.
tracer = Tracer(patch_modules=("botocore",))

# --- the metric names (template.yaml's dashboard and alarms use them) --------------------------------
EVENTS_RECEIVED = "EventsReceived"  # posted by packs, per pack
STEPS_FIRED = "StepsFired"  # per flow
STEPS_SKIPPED = "StepsSkipped"  # per flow and reason (execution.StepOutcome.reason)
TEMPLATE_FAILURES = "TemplateFailures"  # per flow
ACTIONS_CREATED = "ActionsCreated"  # per pack and command
ACTIONS_SUCCEEDED = "ActionsSucceeded"  # final state SUCCESS, per pack and command
ACTIONS_FATAL = "ActionsFatal"  # final state FATAL (a pack's FATAL result or every lease run out), per pack and command
EVENT_TO_ACTION_MS = "EventToActionLatency"  # event received -> its action created, per flow
ACTION_TO_RESULT_MS = "ActionToResultLatency"  # action created -> its result recorded, per pack and command
ACTIONS_TAKEN = "ActionsTaken"  # per pack
TAKES_EMPTY = "TakesEmpty"  # a take whose wait ended with nothing, per pack
TAKE_PARKED_SECONDS = "TakeParkedSeconds"  # time takes spent long-polling (Lambda duration billed), per pack
LEASE_EXPIRIES = "LeaseExpiries"  # an action taken again after its lease ran out (a retry), per pack
ACTIONS_EXPIRED = "ActionsExpired"  # every attempt's lease ran out: FATAL
ACTIONS_PENDING_PAST_LEASE = "ActionsPendingPastLease"  # counted by the reaper: taken, no result, lease over
AUTH_REFUSALS = "AuthRefusals"  # per status (401, 403)
STREAM_RECORDS = "StreamRecords"  # event stream records the step matcher received (billed per read request)
MATCHER_RECORD_FAILURES = "StreamRecordFailures"  # records the step matcher failed (retried, then set aside)
DELIVERIES = "Deliveries"  # push deliveries POSTed, per pack
DELIVERY_FAILURES = "DeliveryFailures"  # push deliveries that failed (retried, or FATAL after the last), per pack

EVERY_METRIC = (
    EVENTS_RECEIVED,
    STEPS_FIRED,
    STEPS_SKIPPED,
    TEMPLATE_FAILURES,
    ACTIONS_CREATED,
    ACTIONS_SUCCEEDED,
    ACTIONS_FATAL,
    EVENT_TO_ACTION_MS,
    ACTION_TO_RESULT_MS,
    ACTIONS_TAKEN,
    TAKES_EMPTY,
    TAKE_PARKED_SECONDS,
    LEASE_EXPIRIES,
    ACTIONS_EXPIRED,
    ACTIONS_PENDING_PAST_LEASE,
    AUTH_REFUSALS,
    STREAM_RECORDS,
    MATCHER_RECORD_FAILURES,
    DELIVERIES,
    DELIVERY_FAILURES,
)

OTHER = "other"
MAX_DIMENSION_CHARS = 64
DEFAULT_DIMENSION_CAP = 20


class DimensionCap:
    """At most `limit` distinct values of one kind become dimensions in this environment; the rest are `other`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._admitted: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str | None) -> str:
        value = (value or "none")[:MAX_DIMENSION_CHARS]
        with self._lock:
            if value in self._admitted:
                return value
            if len(self._admitted) < self.limit:
                self._admitted.add(value)
                return value
        return OTHER


def _cap_from_environment() -> int:
    raw = os.environ.get("FLYTE_METRICS_DIMENSION_CAP", "")
    return int(raw) if raw.isdigit() else DEFAULT_DIMENSION_CAP


_flows = DimensionCap(_cap_from_environment())
_packs = DimensionCap(_cap_from_environment())
_commands = DimensionCap(_cap_from_environment())  # pack/command pairs


class _Breakdowns:
    """Figures with dimensions beyond `service`, gathered during an invocation and written when its
    metrics are flushed: one EMF document per breakdown, with the dimension sets [service] and
    [service, breakdown...], each metric with all its values."""

    def __init__(self) -> None:
        self._sets: dict[tuple[tuple[str, str], ...], dict[tuple[str, str], list[float]]] = defaultdict(lambda: defaultdict(list))
        self._lock = threading.Lock()

    def add(self, name: str, unit: str, value: float, dimensions: Mapping[str, str]) -> None:
        with self._lock:
            self._sets[tuple(sorted(dimensions.items()))][(name, unit)].append(value)

    def flush(self) -> None:
        with self._lock:
            sets, self._sets = self._sets, defaultdict(lambda: defaultdict(list))
        for dimensions, figures in sets.items():
            emf = AmazonCloudWatchEMFProvider(
                namespace=metrics.namespace,
                service=metrics.service,
                metric_set={},
                dimension_set={},
                metadata_set={},
                default_dimensions={},
            )
            if emf.service:
                emf.add_dimension(name="service", value=emf.service)
            emf.add_dimensions(**({"service": emf.service} if emf.service else {}), **dict(dimensions))
            for (name, unit), values in figures.items():
                for value in values:
                    emf.add_metric(name=name, unit=unit, value=value)
            emf.flush_metrics()


_breakdowns = _Breakdowns()


class _FlyteEMFProvider(AmazonCloudWatchEMFProvider):
    """Powertools' provider, writing the breakdowns beside the stack-wide figures at each flush."""

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        _breakdowns.flush()
        super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)


# The template sets the namespace for every function; tools that import a handler without it get the same one.
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Flyte"
metrics = Metrics(namespace=NAMESPACE)
metrics.provider = _FlyteEMFProvider(
    namespace=NAMESPACE,
    metric_set=metrics.metric_set,
    dimension_set=metrics.dimension_set,
    metadata_set=metrics.metadata_set,
    default_dimensions=metrics.default_dimensions,
)


def _emit(name: str, unit: str, value: float, **dimensions: str) -> None:
    if dimensions:
        _breakdowns.add(name, unit, value, dimensions)
    else:
        metrics.add_metric(name=name, unit=unit, value=value)


def _milliseconds(since: datetime, until: datetime) -> float:
    return round(max(0.0, (until - since).total_seconds() * 1000), 1)


def _command(pack_name: str, command: str) -> dict[str, str]:
    pack = _packs(pack_name)
    pair = _commands(f"{pack_name}/{command}")
    return {"pack": pack, "command": command[:MAX_DIMENSION_CHARS] if pair != OTHER and pack != OTHER else OTHER}


# --- what the services record -----------------------------------------------------------------------


def record_event_received(pack_name: str) -> None:
    _emit(EVENTS_RECEIVED, "Count", 1, pack=_packs(pack_name))


def record_step(flow_name: str, fired: bool, reason: str | None = None) -> None:
    if fired:
        _emit(STEPS_FIRED, "Count", 1, flow=_flows(flow_name))
    else:
        _emit(STEPS_SKIPPED, "Count", 1, flow=_flows(flow_name), reason=reason or "none")


def record_template_failure(flow_name: str) -> None:
    _emit(TEMPLATE_FAILURES, "Count", 1, flow=_flows(flow_name))


def record_action_created(flow_name: str, pack_name: str, command: str, event_received_at: datetime, now: datetime) -> None:
    _emit(ACTIONS_CREATED, "Count", 1, **_command(pack_name, command))
    _emit(EVENT_TO_ACTION_MS, "Milliseconds", _milliseconds(event_received_at, now), flow=_flows(flow_name))


def record_action_finished(pack_name: str, command: str, state: str, created_at: datetime | None, now: datetime) -> None:
    """An action reached its final state (SUCCESS or FATAL), by a result or by its last lease running out."""
    dimensions = _command(pack_name, command)
    _emit(ACTIONS_FATAL if state == "FATAL" else ACTIONS_SUCCEEDED, "Count", 1, **dimensions)
    if created_at is not None:
        _emit(ACTION_TO_RESULT_MS, "Milliseconds", _milliseconds(created_at, now), **dimensions)


def record_take(pack_name: str, taken: bool, parked_seconds: float) -> None:
    pack = _packs(pack_name)
    _emit(ACTIONS_TAKEN if taken else TAKES_EMPTY, "Count", 1, pack=pack)
    _emit(TAKE_PARKED_SECONDS, "Seconds", round(parked_seconds, 3), pack=pack)


def record_lease_expiry(pack_name: str) -> None:
    _emit(LEASE_EXPIRIES, "Count", 1, pack=_packs(pack_name))


def record_action_expired(pack_name: str) -> None:
    _emit(ACTIONS_EXPIRED, "Count", 1, pack=_packs(pack_name))


def record_pending_past_lease(count: int) -> None:
    _emit(ACTIONS_PENDING_PAST_LEASE, "Count", count)


def record_auth_refusal(status: int) -> None:
    _emit(AUTH_REFUSALS, "Count", 1, status=str(status))


def record_stream_batch(records: int, failed: int) -> None:
    _emit(STREAM_RECORDS, "Count", records)
    _emit(MATCHER_RECORD_FAILURES, "Count", failed)


def record_delivery(pack_name: str, failed: bool) -> None:
    pack = _packs(pack_name)
    _emit(DELIVERIES, "Count", 1, pack=pack)
    if failed:
        _emit(DELIVERY_FAILURES, "Count", 1, pack=pack)
