"""Invoking the template's functions the way Lambda does.

`FunctionProcesses` gives each function its own execution environments: worker processes, started on
demand up to a concurrency limit, each with the function's environment variables, its layers and
code on sys.path, and the handler imported once (cold start) then reused for one invocation at a
time. Separate processes matter: Powertools keeps the current request in class attributes, as it
may in a Lambda environment, so two concurrent requests must never share a process.

Bounds, so that a burst cannot exhaust a small machine: each function has at most MAX_CONCURRENCY
environments (its `ReservedConcurrentExecutions` when the template sets one), the whole stack at most
MAX_ENVIRONMENTS (memory; an idle environment of another function is ended to make room), and at most
CONCURRENT_STARTS cold starts run at once (CPU). Invocations beyond that queue in arrival order.

`FunctionRuntime` imports a handler in this process, for tools and tests that call one handler at a
time (the OpenAPI generator, handler tests with sample events).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import json
import logging
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import traceback
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from .application import ACCOUNT, REGION, Function

log = logging.getLogger("flyte_local")
_instance_numbers = itertools.count(1)
MAX_CONCURRENCY = int(os.environ.get("FLYTE_LOCAL_MAX_CONCURRENCY", "16"))  # per function (reserved concurrency)
MAX_ENVIRONMENTS = int(os.environ.get("FLYTE_LOCAL_MAX_ENVIRONMENTS", "24"))  # all functions: about 80 MB each
CONCURRENT_STARTS = os.cpu_count() or 2
START_TIMEOUT_SECONDS = 120
QUEUE_TIMEOUT_SECONDS = 30  # API Gateway's integration timeout


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that Powertools and handlers read."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int
    deadline: float
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def load_handler_module(function: Function) -> Any:
    """Import the function's handler module afresh (its own module globals, as a new environment)."""
    for layer in function.layers:
        if str(layer) not in sys.path:
            sys.path.insert(0, str(layer))
    module_file = function.handler.rpartition(".")[0]
    path = function.code_dir / (module_file.replace(".", "/") + ".py")
    name = f"_flyte_local_{function.logical_id}_{next(_instance_numbers)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{function.logical_id}: no module at {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(function.code_dir))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(function.code_dir))
    return module


def _context(function: Function) -> LambdaContext:
    return LambdaContext(
        function_name=function.logical_id,
        aws_request_id=str(uuid.uuid4()),
        memory_limit_in_mb=512,
        deadline=time.monotonic() + function.timeout,
    )


class FunctionRuntime:
    """One in-process instance of a handler (one invocation at a time)."""

    def __init__(self, function: Function, environment: dict[str, str] | None = None) -> None:
        self.function = function
        self.environment = function.environment if environment is None else environment
        self._handler = None

    def load_module(self) -> Any:
        """Import the handler as its cold start does: with the function's environment variables
        (restored afterwards, so that this process keeps its own)."""
        saved = dict(os.environ)
        os.environ.update(self.environment)
        try:
            return load_handler_module(self.function)
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def invoke(self, event: Any) -> Any:
        handler = self._handler
        if handler is None:
            handler = self._handler = getattr(self.load_module(), self.function.handler.rpartition(".")[2])
        return handler(event, _context(self.function))


# --- worker processes ----------------------------------------------------------------------------

_worker: dict[str, Any] = {}


class FunctionError(Exception):
    """The function raised; Lambda would report it as a function error."""


class Throttled(Exception):
    """Every environment the function may have is busy and none became free in time (Lambda's 429)."""


def _worker_main(
    connection: Connection, function: Function, environment: dict[str, str], count_aws_requests: bool = False
) -> None:
    """An execution environment: import the handler once, then one invocation at a time until the pipe closes."""
    # Ctrl-C is the stack's to handle: forks ignore it from their start (environment_signals), spawns from here
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.environ.clear()
        os.environ.update(environment)
        _worker["requests"] = Counter()
        if count_aws_requests:
            _count_aws_requests()
        module = load_handler_module(function)
        handler = getattr(module, function.handler.rpartition(".")[2])
    except BaseException as error:
        try:
            connection.send((False, f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))
        except OSError:
            pass
        return
    try:
        connection.send((True, os.getpid()))
        while True:
            event = connection.recv()
            _worker["requests"].clear()
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    outcome = True, handler(event, _context(function)), Counter(_worker["requests"])
            except Exception as error:  # sent back as text: an exception may not survive pickling
                outcome = False, f"{type(error).__name__}: {error}\n{traceback.format_exc()}", Counter(_worker["requests"])
            connection.send((*outcome, _metric_documents(printed.getvalue())))
    except (EOFError, OSError):  # the stack closed the pipe: it is stopping, or gave up on this environment
        return


TABLE_COUNT = "table:"  # counted requests by DynamoDB table: "table:PutItem@<table name>" (beside the totals)
# counted item writes by what they write: "item:Put@<table name>@<attribute,...>" (an item's attributes;
# for an update, those its update expression names): which indexes a write reaches (the cost table)
ITEM_COUNT = "item:"
_PLACEHOLDER = re.compile(r"#\w+")


def _item_writes(operation: str, body: Any) -> list[str]:
    """The item writes of a DynamoDB write request, as ITEM_COUNT keys (without the prefix)."""
    try:
        request = json.loads(body or "{}")
    except (TypeError, ValueError):
        return []
    if operation == "TransactWriteItems":
        parts = [next(iter(item.items())) for item in request.get("TransactItems") or [] if item]
    elif operation == "BatchWriteItem":
        parts = [
            ("Put", {"TableName": table, **entry["PutRequest"]}) if "PutRequest" in entry else ("Delete", {"TableName": table})
            for table, entries in (request.get("RequestItems") or {}).items()
            for entry in entries
        ]
    elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
        parts = [(operation.removesuffix("Item"), request)]
    else:
        return []
    writes = []
    for kind, part in parts:
        if kind == "Put":
            attributes = sorted(part.get("Item") or {})
        elif kind == "Update":
            names = part.get("ExpressionAttributeNames") or {}
            attributes = sorted({names.get(name, name) for name in _PLACEHOLDER.findall(part.get("UpdateExpression") or "")})
        elif kind == "Delete":
            attributes = []
        else:  # ConditionCheck: nothing written
            continue
        writes.append(f"{kind}@{part.get('TableName', '')}@{','.join(attributes)}")
    return writes


def _tables_of(body: Any) -> list[str]:
    """The tables a DynamoDB request names (TableName, or a transaction's items)."""
    try:
        request = json.loads(body or "{}")
    except (TypeError, ValueError):
        return []
    if "TableName" in request:
        return [request["TableName"]]
    items = request.get("TransactItems") or []
    return [next(iter(item.values())).get("TableName", "") for item in items if item]


def _metric_documents(printed: str) -> list[dict[str, Any]]:
    """The EMF documents (what CloudWatch would turn into metrics) among what an invocation printed;
    any other printed line goes on to this process's output, as it would to the function's log."""
    documents = []
    for line in printed.splitlines():
        if line.startswith('{"_aws"'):
            try:
                documents.append(json.loads(line))
                continue
            except ValueError:
                pass
        print(line, flush=True)
    return documents


def _count_aws_requests() -> None:
    """Count the AWS requests each invocation makes (service.Operation), reported with its result
    (for the benchmark's request counts; botocore's endpoint is patched only when asked)."""
    import botocore.endpoint

    make_request = botocore.endpoint.Endpoint.make_request

    def counted(endpoint: Any, operation_model: Any, request_dict: Any) -> Any:
        service = operation_model.service_model.service_name
        _worker["requests"][f"{service}.{operation_model.name}"] += 1
        if service == "dynamodb":  # and by table (TABLE_COUNT keys: the cost table's write units, issue 21)
            for table in _tables_of(request_dict.get("body")):
                _worker["requests"][f"{TABLE_COUNT}{operation_model.name}@{table}"] += 1
            for write in _item_writes(operation_model.name, request_dict.get("body")):
                _worker["requests"][f"{ITEM_COUNT}{write}"] += 1
        return make_request(endpoint, operation_model, request_dict)

    botocore.endpoint.Endpoint.make_request = counted


class _Died(Exception):
    pass


TAKE_ROUTE_SUFFIX = "/actions/take"  # the pack runtime's long poll
MAX_PARK_SECONDS = 20
PARKED_START_SECONDS = 1.0  # a take parked for longer than this gets an environment of its own


def parks_for(event: Any) -> float:
    """How long an invocation may park its environment: a take's `wait` (HTTP API v2 events; the
    longest wait when it says none), 0 for anything else."""
    if not isinstance(event, dict) or not str(event.get("routeKey") or "").endswith(TAKE_ROUTE_SUFFIX):
        return 0.0
    wait = str((event.get("queryStringParameters") or {}).get("wait", MAX_PARK_SECONDS))
    return float(min(int(wait), MAX_PARK_SECONDS)) if wait.isdigit() else 0.0


# The libraries every handler imports, which are nine tenths of a cold start (2.4 of 2.7 s on a
# loaded two-core machine): a fork server imports them once, and each environment is a fork of it
# that imports only its own handler. None of them reads the function's environment variables when
# imported, so a fork is the fresh interpreter a new Lambda environment is, started in a tenth of the
# time; a burst of parked takes no longer waits seconds per environment (issue 25).
PRELOADED_MODULES = [
    "boto3",
    "botocore.session",
    "pynamodb.models",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "aws_xray_sdk.core",
    "jwt",
    "flyte_local.environment_signals",  # Ctrl-C ignored from each fork's start
    "flyte_local.environment_botocore",  # botocore's service data, read once for every environment
    "flyte_local.runtime",  # what each environment's process is unpickled with (_worker_main, Function)
]


def _process_context() -> Any:
    """Fork server where the platform has one (Linux, macOS), a fresh spawned interpreter otherwise."""
    if os.environ.get("FLYTE_LOCAL_SPAWN") == "1" or "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED_MODULES)
    return context


class Environment:
    """One worker process and the pipe it is invoked over."""

    _context = _process_context()

    def __init__(self, function: Function, environment: dict[str, str], count_aws_requests: bool = False) -> None:
        self.function = function
        self.connection, child = self._context.Pipe()
        self.process = self._context.Process(
            target=_worker_main,
            args=(child, function, environment, count_aws_requests),
            name=f"flyte-local-{function.logical_id}",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.last_used = self.busy_since = time.monotonic()
        self.parked_until = 0.0  # while it serves a parked take: when that take's wait ends at the latest
        try:
            ok, detail = self._receive(START_TIMEOUT_SECONDS)
        except _Died as died:
            raise FunctionError(f"{function.logical_id} could not start: {died}") from None
        if not ok:
            self.stop()
            raise FunctionError(f"{function.logical_id} could not start: {detail}")

    def _receive(self, timeout: float) -> Any:
        try:
            if self.connection.poll(timeout):
                return self.connection.recv()
        except (EOFError, OSError):
            pass
        else:
            self.stop()  # a Lambda invocation past its timeout is ended with its environment
            raise _Died(f"timed out after {timeout:.0f} s")
        self.stop()
        raise _Died("its execution environment died")

    def invoke(self, event: Any) -> tuple[bool, Any, Counter, list[dict[str, Any]]]:
        self.busy_since = time.monotonic()
        self.parked_until = self.busy_since + parks_for(event)
        try:
            self.connection.send(event)
        except OSError:  # ended meanwhile (the stack stopping, or a crash)
            self.stop()
            raise _Died("its execution environment died") from None
        try:
            outcome = self._receive(self.function.timeout + 2)
        finally:
            self.parked_until = 0.0
        self.last_used = time.monotonic()
        return outcome

    @property
    def rss_bytes(self) -> int:
        """Resident memory of the worker (Linux; 0 where /proc is not there)."""
        try:
            with open(f"/proc/{self.process.pid}/statm") as statm:
                return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            return 0

    def stop(self) -> None:
        self.connection.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=5)


class Capacity:
    """What all functions share: a bound on live environments (memory) and on environments starting
    at once (a cold start is a second of CPU; a burst must not start dozens together on two cores)."""

    def __init__(self, max_environments: int = MAX_ENVIRONMENTS, concurrent_starts: int = CONCURRENT_STARTS) -> None:
        self.max_environments = max_environments
        self.starts = threading.BoundedSemaphore(concurrent_starts)
        self._lock = threading.Lock()
        self._pools: list[FunctionProcesses] = []
        self.live = 0
        self.peak = 0  # the most environments live at once (a pool's own peak may come after it gave one up)

    def register(self, pool: FunctionProcesses) -> None:
        with self._lock:
            self._pools.append(pool)

    def reserve(self, requester: FunctionProcesses) -> bool:
        """Room for one more environment, ending the least recently used idle one elsewhere if full."""
        with self._lock:
            if self.live < self.max_environments:
                self.live += 1
                self.peak = max(self.peak, self.live)
                return True
            idle = [(pool.oldest_idle(), pool) for pool in self._pools if pool is not requester]
            candidates = [(used, pool) for used, pool in idle if used is not None]
        # Retiring one idle environment frees one unit of `live`, which this caller takes over.
        return any(pool.retire_idle() for _, pool in sorted(candidates, key=lambda pair: pair[0]))

    def release(self) -> None:
        with self._lock:
            self.live -= 1


class _Waiter:
    __slots__ = ("environment", "error", "ready")

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.environment: Environment | None = None
        self.error: Exception | None = None


class FunctionProcesses:
    """The execution environments of one function: at most `max_concurrency` (its reserved
    concurrency), started on demand; invocations beyond them queue in arrival order and take the
    first environment that is free, whether a busy one finishes or a new one has started."""

    def __init__(
        self,
        function: Function,
        environment: dict[str, str],
        max_concurrency: int | None = None,
        capacity: Capacity | None = None,
        count_aws_requests: bool = False,
        metrics: Any = None,
        after_invoke: Callable[[], None] | None = None,
    ) -> None:
        self.function = function
        self.metrics = metrics  # a MetricLog: the EMF documents each invocation printed
        self.after_invoke = after_invoke  # told when an invocation ended (it may have written to a stream)
        self.environment = environment
        self.max_concurrency = max_concurrency or function.reserved_concurrency or MAX_CONCURRENCY
        self.capacity = capacity or Capacity()
        self.capacity.register(self)
        self._lock = threading.Lock()
        self._idle: list[Environment] = []  # most recently used last: warm environments stay warm
        self._busy: set[Environment] = set()
        self._waiters: deque[_Waiter] = deque()
        self._starting = 0
        self._stopped = False
        # Moving averages that decide when one more environment is worth its cold start.
        self._service_seconds = 0.05
        self._start_seconds = 1.5
        self.count_aws_requests = count_aws_requests
        self.aws_requests: Counter = Counter()  # by service.Operation, over all invocations (when counted)
        self.invocations = 0  # every invocation answered (the cost table's count, issue 21)
        self.peak_environments = 0

    @property
    def environments(self) -> int:
        with self._lock:
            return len(self._idle) + len(self._busy)

    @property
    def queued(self) -> int:
        """Invocations waiting for an environment."""
        with self._lock:
            return len(self._waiters)

    def rss_bytes(self) -> int:
        with self._lock:
            every = [*self._idle, *self._busy]
        return sum(environment.rss_bytes for environment in every)

    def warm(self) -> None:
        """Start one environment now, so that a handler that cannot even import fails at start-up."""
        if not self.capacity.reserve(self):
            raise FunctionError(f"{self.function.logical_id}: no room for an environment")
        with self._lock:
            self._starting += 1
        self._start_environment(gated=False)  # the stack starts every function at once, before any request

    def invoke(self, event: Any) -> Any:
        environment = self._acquire()
        began = time.monotonic()
        try:
            ok, result, requests, documents = environment.invoke(event)
        except _Died as died:
            self._discard(environment)
            raise FunctionError(f"{self.function.logical_id}: {died}") from None
        except BaseException:
            self._discard(environment)
            raise
        finally:
            if self.after_invoke is not None:
                self.after_invoke()
        self._release(environment)
        if self.metrics is not None:
            self.metrics.add(self.function.logical_id, documents)
        with self._lock:
            self.aws_requests.update(requests)
            self.invocations += 1
            self._service_seconds = 0.8 * self._service_seconds + 0.2 * (time.monotonic() - began)
        if not ok:
            raise FunctionError(f"{self.function.logical_id} failed: {result}")
        return result

    def _acquire(self) -> Environment:
        waiter = _Waiter()
        with self._lock:
            if self._stopped:
                raise FunctionError(f"{self.function.logical_id}: the stack is stopping")
            if self._idle and not self._waiters:
                environment = self._idle.pop()
                self._busy.add(environment)
                return environment
            self._waiters.append(waiter)
        self._consider_start()
        deadline = time.monotonic() + QUEUE_TIMEOUT_SECONDS
        while not waiter.ready.wait(0.2):  # while waiting, look again whether a new environment would help
            if time.monotonic() > deadline:
                with self._lock:
                    if waiter in self._waiters:
                        self._waiters.remove(waiter)
                        raise Throttled(
                            f"{self.function.logical_id}: all {self.max_concurrency} environments stayed "
                            f"busy for {QUEUE_TIMEOUT_SECONDS} s"
                        )
                break
            self._consider_start()
        if waiter.error is not None:
            raise waiter.error
        assert waiter.environment is not None  # a waiter is made ready with an environment or an error
        return waiter.environment

    def _consider_start(self) -> None:
        """Start one more environment when waiting for a busy one would take longer than a cold
        start: the queue drains slower than a start takes (one start at a time), or every environment
        has been busy for longer than a cold start. When every busy environment holds a parked take
        (a long poll that may last its whole `wait`), one start per waiter, as Lambda gives each
        concurrent request an environment; the stack's start gate bounds how many run at once. A
        burst of short invocations is served by the environments there are, instead of spending the
        CPU it needs on cold starts."""
        with self._lock:
            live = len(self._idle) + len(self._busy)
            if self._stopped or not self._waiters or live + self._starting >= self.max_concurrency:
                return
            now = time.monotonic()
            drain = len(self._waiters) * self._service_seconds / max(1, len(self._busy))
            held = min((now - e.busy_since for e in self._busy), default=0.0)
            parked = bool(self._busy) and all(e.parked_until - now > PARKED_START_SECONDS for e in self._busy)
            if parked:
                if self._starting >= len(self._waiters):
                    return
            elif self._starting or (live and drain <= self._start_seconds and held <= self._start_seconds):
                return
            self._starting += 1
        threading.Thread(target=self._start_when_room, name=f"start-{self.function.logical_id}", daemon=True).start()

    def _start_when_room(self) -> None:
        if not self.capacity.reserve(self):
            with self._lock:  # the stack is full of busy environments: the waiters wait for a busy one here
                self._starting -= 1
            return
        try:
            self._start_environment()
        except FunctionError as error:
            with self._lock:
                waiter = self._waiters.popleft() if self._waiters else None
            if waiter is not None:
                waiter.error = error
                waiter.ready.set()

    def _start_environment(self, gated: bool = True) -> None:
        began = time.monotonic()
        try:
            if gated:
                with self.capacity.starts:
                    began = time.monotonic()
                    environment = Environment(self.function, self.environment, self.count_aws_requests)
            else:
                environment = Environment(self.function, self.environment, self.count_aws_requests)
        except BaseException:
            self.capacity.release()
            with self._lock:
                self._starting -= 1
            raise
        with self._lock:
            self._starting -= 1
            self._busy.add(environment)
            self._start_seconds = 0.5 * self._start_seconds + 0.5 * (time.monotonic() - began)
        self._release(environment)

    def _release(self, environment: Environment) -> None:
        """Hand a free environment to the longest waiting invocation, or keep it idle."""
        with self._lock:
            if self._stopped:
                self._busy.discard(environment)
                stop = True
            elif self._waiters:
                waiter = self._waiters.popleft()
                waiter.environment = environment
                waiter.ready.set()
                stop = False
            else:
                self._busy.discard(environment)
                self._idle.append(environment)
                stop = False
            self.peak_environments = max(self.peak_environments, len(self._idle) + len(self._busy))
        if stop:
            environment.stop()
            self.capacity.release()

    def _discard(self, environment: Environment) -> None:
        with self._lock:
            self._busy.discard(environment)
        environment.stop()
        self.capacity.release()
        self._consider_start()  # its waiters must not wait for an environment that will never come back

    def oldest_idle(self) -> float | None:
        with self._lock:
            return self._idle[0].last_used if self._idle and len(self._idle) + len(self._busy) > 1 else None

    def retire_idle(self) -> bool:
        """End the least recently used idle environment (keeping one), for another function's sake."""
        with self._lock:
            if not self._idle or len(self._idle) + len(self._busy) <= 1:
                return False
            environment = self._idle.pop(0)
        environment.stop()
        return True

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            every = [*self._idle, *self._busy]
            self._idle.clear()
            waiters = list(self._waiters)
            self._waiters.clear()
        for waiter in waiters:
            waiter.error = FunctionError(f"{self.function.logical_id}: the stack is stopping")
            waiter.ready.set()
        for environment in every:  # long polls would hold a graceful shutdown
            environment.stop()
