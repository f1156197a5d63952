"""Invoking the template's functions the way Lambda does.

`FunctionProcesses` gives each function its own execution environments: worker processes, started on
demand up to a concurrency limit, each with the function's environment variables, its layers and
code on sys.path, and the handler imported once (cold start) then reused for one invocation at a
time. Separate processes matter: Powertools keeps the current request in class attributes, as it
may in a Lambda environment, so two concurrent requests must never share a process.

`FunctionRuntime` imports a handler in this process, for tools and tests that call one handler at a
time (the OpenAPI generator, handler tests with sample events).
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import multiprocessing
import os
import sys
import time
import traceback
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from threading import Lock
from typing import Any

from .application import ACCOUNT, REGION, Function

log = logging.getLogger("flyte_local")
_instance_numbers = itertools.count(1)
MAX_CONCURRENCY = 32  # per function, like a reserved-concurrency setting


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
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(function.code_dir))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(function.code_dir))
    return module


def _context(function: Function) -> LambdaContext:
    return LambdaContext(function_name=function.logical_id, aws_request_id=str(uuid.uuid4()), memory_limit_in_mb=512,
                         deadline=time.monotonic() + function.timeout)


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
        if self._handler is None:
            self._handler = getattr(self.load_module(), self.function.handler.rpartition(".")[2])
        return self._handler(event, _context(self.function))


# --- worker processes ----------------------------------------------------------------------------

_worker: dict[str, Any] = {}


class FunctionError(Exception):
    """The function raised; Lambda would report it as a function error."""


def _worker_start(function: Function, environment: dict[str, str], count_aws_requests: bool) -> None:
    os.environ.clear()
    os.environ.update(environment)
    _worker["requests"] = Counter()
    if count_aws_requests:
        _count_aws_requests()
    module = load_handler_module(function)
    _worker["function"] = function
    _worker["handler"] = getattr(module, function.handler.rpartition(".")[2])


def _count_aws_requests() -> None:
    """Count the AWS requests each invocation makes (service.Operation), reported with its result
    (for the benchmark's request counts; botocore's endpoint is patched only when asked)."""
    import botocore.endpoint

    make_request = botocore.endpoint.Endpoint.make_request

    def counted(endpoint: Any, operation_model: Any, request_dict: Any) -> Any:
        _worker["requests"][f"{operation_model.service_model.service_name}.{operation_model.name}"] += 1
        return make_request(endpoint, operation_model, request_dict)

    botocore.endpoint.Endpoint.make_request = counted


def _worker_invoke(event: Any) -> tuple[bool, Any, Counter]:
    _worker["requests"].clear()
    try:
        return True, _worker["handler"](event, _context(_worker["function"])), Counter(_worker["requests"])
    except Exception as error:  # sent back as text: an exception may not survive pickling
        return False, f"{type(error).__name__}: {error}\n{traceback.format_exc()}", Counter(_worker["requests"])


def _worker_ready() -> int:
    return os.getpid()


class FunctionProcesses:
    """The execution environments of one function."""

    def __init__(self, function: Function, environment: dict[str, str], max_concurrency: int = MAX_CONCURRENCY,
                 count_aws_requests: bool = False) -> None:
        self.function = function
        self.environment = environment
        self.max_concurrency = max_concurrency
        self.count_aws_requests = count_aws_requests
        self._lock = Lock()
        self._pool = self._new_pool()
        self.aws_requests: Counter = Counter()  # by service.Operation, over all invocations (when counted)

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.max_concurrency, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_start, initargs=(self.function, self.environment, self.count_aws_requests))

    def warm(self) -> None:
        """Start one environment now, so that a handler that cannot even import fails at start-up."""
        self._pool.submit(_worker_ready).result(timeout=120)

    def invoke(self, event: Any) -> Any:
        try:
            ok, result, requests = self._pool.submit(_worker_invoke, event).result(timeout=self.function.timeout + 30)
        except BrokenProcessPool:
            with self._lock:  # an environment died (as a crashed Lambda would): start afresh
                self._pool = self._new_pool()
            raise FunctionError(f"{self.function.logical_id}: an execution environment died") from None
        if requests:
            with self._lock:
                self.aws_requests.update(requests)
        if not ok:
            raise FunctionError(f"{self.function.logical_id} failed: {result}")
        return result

    def stop(self) -> None:
        processes = list(getattr(self._pool, "_processes", {}).values())  # long polls would hold shutdown
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)
