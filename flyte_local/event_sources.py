"""Event sources of the local stack: DynamoDB stream and SQS queue pollers with Lambda's event source
mapping semantics, and EventBridge schedules."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from .application import ACCOUNT, LAYER, REGION, Application, QueueSource, Schedule, StreamSource
from .lambda_api import function_of

log = logging.getLogger("flyte_local")
# Each invocation's end wakes a stream poller at once (a function wrote what it reads); the poll of
# its own is the fallback for writes from outside the functions. Polling every 0.1 s kept an idle
# stack at 7% of a core (moto answering GetRecords), the tests' many stacks at a third of the suite's.
IDLE_POLL_SECONDS = 1.0
# A shard's records are split into ParallelizationFactor lanes run at once, but into at most this many
# here: each lane needs an environment (a process) of the function, and a small machine cannot start ten.
MAX_STREAM_LANES = int(os.environ.get("FLYTE_LOCAL_MAX_STREAM_LANES", "2"))


def _record_event(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A stream record as Lambda hands it to the function."""
    event = json.loads(json.dumps(record, default=_json_default))
    event.setdefault("eventSourceARN", stream_arn)
    event.setdefault("awsRegion", REGION)
    return event


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    raise TypeError(type(value).__name__)


def lanes(records: list[dict[str, Any]], factor: int) -> list[list[dict[str, Any]]]:
    """Records of one shard split as Lambda's ParallelizationFactor splits them: by a hash of the
    partition key into at most `factor` lanes, each in stream order (so one key's records stay in order)."""
    if factor <= 1:
        return [records]
    by_lane: dict[int, list[dict[str, Any]]] = {}
    for record in records:
        key = json.dumps(record.get("dynamodb", {}).get("Keys", {}), sort_keys=True)
        by_lane.setdefault(zlib.crc32(key.encode()) % factor, []).append(record)
    return list(by_lane.values())


def matches(pattern: Any, value: Any) -> bool:
    """An event filtering pattern (the subset of equality lists and nested objects) against a record."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(matches(sub, value.get(key)) for key, sub in pattern.items())
    if isinstance(pattern, list):
        return value in pattern
    return pattern == value


class StreamPoller:
    """Reads a table's stream and invokes the function with batches, like Lambda's event source mapping:
    reported item failures and errors are retried from the first failed record, batches are bisected
    on error when configured, and records that exhaust their retries or age go to the on-failure queue."""

    def __init__(
        self, source: StreamSource, app: Application, backend: Any, invoke: Callable[[str, Any], Any], wake: threading.Event
    ) -> None:
        self.source = source
        self.invoke = invoke
        self.wake = wake
        self.table_name = app.table_names[source.table]
        self.failure_queue = app.queue_names.get(source.on_failure_queue) if source.on_failure_queue else None
        self.dynamodb = backend.client("dynamodb")
        self.streams = backend.client("dynamodbstreams")
        self.sqs = backend.client("sqs")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream-{source.function}", daemon=True)
        self._iterators: dict[str, str] = {}
        self.stream_arn = ""

    def start(self) -> None:
        self.stream_arn = self.dynamodb.describe_table(TableName=self.table_name)["Table"]["LatestStreamArn"]
        self._refresh_shards()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        self._thread.join(timeout=5)

    def _refresh_shards(self) -> None:
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"].get("Shards", [])
        for shard in shards:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn,
                    ShardId=shard["ShardId"],
                    ShardIteratorType="TRIM_HORIZON"
                    if self.source.starting_position == "TRIM_HORIZON" or self._iterators
                    else "LATEST",
                )["ShardIterator"]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                got_records = self.poll_once()
            except Exception:
                if self._stop.is_set():  # stopping: the functions are going away
                    break
                log.exception("stream poller of %s failed; retrying", self.source.function)
                got_records = False
                self._stop.wait(1)
            if not got_records:
                self.wake.wait(IDLE_POLL_SECONDS)
                self.wake.clear()

    def poll_once(self) -> bool:
        """Deliver what the stream holds now; True if any record was delivered."""
        delivered = False
        if not self._iterators:
            self._refresh_shards()
        for shard_id, iterator in list(self._iterators.items()):
            while iterator:
                limit = min(1000, self.source.batch_size * self.source.parallelization_factor)
                response = self.streams.get_records(ShardIterator=iterator, Limit=limit)
                iterator = response.get("NextShardIterator")
                self._iterators[shard_id] = iterator
                records = [_record_event(r, self.stream_arn) for r in response.get("Records", [])]
                if not records:
                    break
                # Lambda drops records that match none of the mapping's filters (and never invokes for them)
                records = [r for r in records if not self.source.filters or any(matches(f, r) for f in self.source.filters)]
                if records:
                    self._deliver_lanes(lanes(records, min(self.source.parallelization_factor, MAX_STREAM_LANES)))
                    delivered = True
        return delivered

    def _deliver_lanes(self, by_lane: list[list[dict[str, Any]]]) -> None:
        """Each lane's records in batches of BatchSize, in order; the lanes at once (ParallelizationFactor)."""

        def run(records: list[dict[str, Any]]) -> None:
            size = self.source.batch_size
            for start in range(0, len(records), size):
                self.deliver(records[start : start + size])

        if len(by_lane) == 1:
            run(by_lane[0])
            return
        with ThreadPoolExecutor(max_workers=len(by_lane), thread_name_prefix=f"stream-{self.source.function}") as pool:
            list(pool.map(run, by_lane))

    def deliver(self, batch: list[dict[str, Any]], attempts: int = 0) -> None:
        while batch:
            failed_at = self._invoke(batch)
            if failed_at is None:
                return
            batch = batch[failed_at:]
            attempts += 1
            if self.source.bisect_on_error and len(batch) > 1:
                half = len(batch) // 2
                self.deliver(batch[:half], attempts)
                self.deliver(batch[half:], attempts)
                return
            if self._exhausted(batch[0], attempts):
                self._send_to_failure_destination(batch, attempts)
                return
            time.sleep(min(0.05 * attempts, 1.0))

    def _exhausted(self, record: dict[str, Any], attempts: int) -> bool:
        retries = self.source.maximum_retry_attempts
        if retries >= 0 and attempts > retries:
            return True
        max_age = self.source.maximum_record_age_seconds
        created = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
        return bool(max_age >= 0 and created and time.time() - float(created) > max_age)

    def _invoke(self, batch: list[dict[str, Any]]) -> int | None:
        """Invoke once; None on success, else the index of the first record to retry."""
        try:
            response = self.invoke(self.source.function, {"Records": batch})
        except Exception:
            if self._stop.is_set():  # stopping: not the function's failure; end the delivery quietly
                raise
            log.exception("%s failed on a batch of %d stream records", self.source.function, len(batch))
            return 0
        if not self.source.report_item_failures or not isinstance(response, dict):
            return None
        failures = {f.get("itemIdentifier") for f in response.get("batchItemFailures") or []}
        if not failures:
            return None
        for index, record in enumerate(batch):
            if record["dynamodb"]["SequenceNumber"] in failures:
                return index
        return 0  # an identifier that names no record fails the whole batch, as Lambda does

    def _send_to_failure_destination(self, batch: list[dict[str, Any]], attempts: int) -> None:
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        failure = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.source.function}",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": next(iter(self._iterators), ""),
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": first.get("ApproximateCreationDateTime"),
                "approximateArrivalOfLastRecord": last.get("ApproximateCreationDateTime"),
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }
        log.error(
            "%d stream record(s) exhausted their retries; sent to %s",
            len(batch),
            self.failure_queue or "nowhere (no destination)",
        )
        if self.failure_queue:
            url = self.sqs.get_queue_url(QueueName=self.failure_queue)["QueueUrl"]
            self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(failure))


# --- SQS queues ---------------------------------------------------------------------------------

QUEUE_POLL_SECONDS = 1  # each receive waits this long for a message; moto answers at once when one comes
# Lambda starts five pollers per queue and scales them with its depth; here one polls always and two
# more join while messages come (a slow batch does not hold up the next), idle again after an empty
# receive: three receives a second per idle queue were most of an idle stack's remaining CPU.
QUEUE_POLLERS = 3


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A received message as Lambda hands it to the function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType", "String"),
            }
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


class QueuePoller:
    """Reads an SQS queue for a function like Lambda's SQS event source mapping: several pollers
    long-poll for batches, invoke the function, and delete the messages it handled - all of them
    when it succeeds, all but its reported batch item failures when it reports them, none when it
    fails. What is not deleted comes back when its visibility timeout ends (the function may have
    changed it)."""

    def __init__(
        self, source: QueueSource, app: Application, backend: Any, invoke: Callable[[str, Any], Any], pollers: int = QUEUE_POLLERS
    ) -> None:
        self.source = source
        self.invoke = invoke
        self.queue_name = app.queue_names[source.queue]
        self.queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.queue_name}"
        self.sqs = backend.client("sqs")
        self.queue_url = ""
        self._stop = threading.Event()
        self._busy = threading.Event()  # the last receive brought messages: every poller polls
        self._threads = [
            threading.Thread(target=self._run, args=(n,), name=f"sqs-{source.function}-{n}", daemon=True) for n in range(pollers)
        ]

    def start(self) -> None:
        self.queue_url = self.sqs.get_queue_url(QueueName=self.queue_name)["QueueUrl"]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._busy.set()
        for thread in self._threads:
            thread.join(timeout=QUEUE_POLL_SECONDS + 5)

    def _run(self, poller: int) -> None:
        while not self._stop.is_set():
            if poller and (not self._busy.wait(QUEUE_POLL_SECONDS) or self._stop.is_set()):  # the first is always on
                continue
            try:
                if self.poll_once() == 0:
                    self._busy.clear()
            except Exception:
                if self._stop.is_set():
                    break
                log.exception("queue poller of %s failed; retrying", self.source.function)
                self._stop.wait(1)

    def poll_once(self) -> int:
        """Receive one batch (waiting up to a second) and hand it to the function; how many came."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(10, self.source.batch_size),
            WaitTimeSeconds=QUEUE_POLL_SECONDS,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if messages:
            self._busy.set()  # before the batch runs: the other pollers take what comes meanwhile
            self.deliver(messages)
        return len(messages)

    def deliver(self, messages: list[dict[str, Any]]) -> None:
        records = [_sqs_record(message, self.queue_arn) for message in messages]
        try:
            response = self.invoke(self.source.function, {"Records": records})
        except Exception:
            if self._stop.is_set():
                raise
            log.exception(
                "%s failed on a batch of %d queue messages; they come back after their visibility timeout",
                self.source.function,
                len(records),
            )
            return
        handled = set(range(len(records)))
        if self.source.report_item_failures and isinstance(response, dict):
            failed = {f.get("itemIdentifier") for f in response.get("batchItemFailures") or []}
            ids = {record["messageId"] for record in records}
            if failed - ids:  # an identifier that names no message fails the whole batch, as Lambda does
                return
            handled = {index for index, record in enumerate(records) if record["messageId"] not in failed}
        if handled:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(index), "ReceiptHandle": records[index]["receiptHandle"]} for index in sorted(handled)],
            )


# --- schedules ---------------------------------------------------------------------------------


def _layer_on_path() -> None:
    """Fire times as the engine computes them (flyte_core.domain.schedules, EventBridge's rules), from the layer."""
    if str(LAYER) not in sys.path:
        sys.path.append(str(LAYER))


def next_fire(expression: str, after: datetime) -> datetime:
    """The first fire time after `after` of a template schedule's expression (UTC, as EventBridge rules)."""
    _layer_on_path()
    from flyte_core.domain import schedules

    upcoming = schedules.fire_times(schedules.parse_expression(expression), schedules.zone("UTC"), after, 1)
    if not upcoming:
        raise ValueError(f"schedule {expression!r} never fires again")
    return upcoming[0]


def scheduled_event(schedule: Schedule, at: datetime) -> dict[str, Any]:
    if schedule.input is not None:
        return json.loads(schedule.input) if isinstance(schedule.input, str) else schedule.input
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{schedule.function}-{schedule.name}"],
        "detail": {},
    }


class SchedulePoller:
    def __init__(self, schedule: Schedule, invoke: Callable[[str, Any], Any]) -> None:
        self.schedule = schedule
        self.invoke = invoke
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{schedule.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def fire(self, at: datetime | None = None) -> Any:
        at = at or datetime.now(UTC)
        log.info("schedule %s fires %s", self.schedule.name, self.schedule.function)
        return self.invoke(self.schedule.function, scheduled_event(self.schedule, at))

    def _run(self) -> None:
        due = next_fire(self.schedule.expression, datetime.now(UTC))
        while not self._stop.wait(max(0.0, (due - datetime.now(UTC)).total_seconds())):
            try:
                self.fire(due)
            except Exception:
                if self._stop.is_set():
                    break
                log.exception("scheduled invocation of %s failed", self.schedule.function)
            due = next_fire(self.schedule.expression, datetime.now(UTC))


class ScheduleGroupPoller:
    """EventBridge Scheduler, locally (issue 22): the schedules of one of the stack's schedule groups
    in moto, each fired at its second (EventBridge fires within the minute) by invoking its target
    with its input, `<aws.scheduler.scheduled-time>` and the other context attributes filled in. A
    failed invocation is retried (as EventBridge retries) a few times. Times missed while the local
    stack was not running are not fired."""

    RETRIES = 2

    def __init__(self, group: str, app: Application, backend: Any, invoke: Callable[[str, Any], Any]) -> None:
        self.group = group
        self.app = app
        self.client = backend.client("scheduler")
        self.invoke = invoke
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"scheduler-{group}", daemon=True)
        self._read: dict[tuple[str, Any], dict[str, Any]] = {}
        _layer_on_path()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _schedules(self) -> list[dict[str, Any]]:
        """The group's enabled schedules: listed every second, each read again only when it changed
        (the listing carries its state and last modification), so a second costs one call at rest."""
        listed = [s for p in self.client.get_paginator("list_schedules").paginate(GroupName=self.group) for s in p["Schedules"]]
        found = []
        for entry in listed:
            if entry.get("State") != "ENABLED":
                continue
            version = (entry["Name"], entry.get("LastModificationDate"))
            if version not in self._read:
                try:
                    self._read[version] = self.client.get_schedule(Name=entry["Name"], GroupName=self.group)
                except self.client.exceptions.ResourceNotFoundException:
                    continue  # deleted meanwhile
            found.append(self._read[version])
        current = {(e["Name"], e.get("LastModificationDate")) for e in listed}
        self._read = {version: schedule for version, schedule in self._read.items() if version in current}
        return found

    def due(self, schedule: dict[str, Any], after: datetime, until: datetime) -> list[datetime]:
        """The schedule's fire times in (after, until]."""
        from flyte_core.domain import schedules

        if schedule.get("State") != "ENABLED":
            return []
        expression = schedules.parse_expression(schedule["ScheduleExpression"])
        zone = schedules.zone(schedule.get("ScheduleExpressionTimezone") or "UTC")
        start = schedule.get("StartDate")
        return [t for t in schedules.fire_times(expression, zone, after, 100, start) if t <= until]

    def fire(self, schedule: dict[str, Any], at: datetime) -> None:
        target = schedule["Target"]
        function = function_of(target["Arn"], self.app)
        if function is None:
            log.warning("schedule %s targets %s, not a function of this stack", schedule["Name"], target["Arn"])
            return
        for attempt in range(self.RETRIES + 1):
            text = (target.get("Input") or "{}").replace("<aws.scheduler.scheduled-time>", at.strftime("%Y-%m-%dT%H:%M:%SZ"))
            text = text.replace("<aws.scheduler.attempt-number>", str(attempt + 1))
            text = text.replace("<aws.scheduler.execution-id>", str(uuid.uuid4()))
            text = text.replace("<aws.scheduler.schedule-arn>", schedule.get("Arn", ""))
            try:
                self.invoke(function, json.loads(text))
                log.info("schedule %s fired %s for %s", schedule["Name"], function, at.isoformat())
                return
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("schedule %s: invocation of %s failed (attempt %d)", schedule["Name"], function, attempt + 1)
                self._stop.wait(attempt + 1)

    def _run(self) -> None:
        checked = datetime.now(UTC)
        while not self._stop.wait(max(0.0, 1 - datetime.now(UTC).microsecond / 1e6) + 0.01):  # just after each second
            now = datetime.now(UTC)
            try:
                schedules = self._schedules()
            except Exception:
                log.exception("listing the schedules of %s failed", self.group)
                continue
            for schedule in schedules:
                try:
                    due = self.due(schedule, checked, now)
                except Exception:
                    log.exception("schedule %s has an expression the local stack cannot evaluate", schedule.get("Name"))
                    continue
                for at in due:
                    threading.Thread(target=self.fire, args=(schedule, at), name=f"fire-{schedule['Name']}", daemon=True).start()
            checked = now
