"""Invoking the template's functions in-process, the way Lambda does.

Each function keeps a pool of instances. An instance is the handler module imported afresh under its
own name (its own module globals, like a Lambda execution environment) and serves one invocation at
a time; concurrent invocations get further instances, cold-started on demand. The shared layer
(flyte_core) is imported once, as all environments of one machine would share the same code.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .application import ACCOUNT, REGION, Function

log = logging.getLogger("flyte_local")
_instance_numbers = itertools.count(1)


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


class FunctionRuntime:
    def __init__(self, function: Function) -> None:
        self.function = function
        self._idle: list[Callable[[dict, Any], Any]] = []
        self._lock = threading.Lock()
        module_file, _, self._handler_name = function.handler.rpartition(".")
        self._module_path = function.code_dir / (module_file.replace(".", "/") + ".py")
        for layer in function.layers:
            if str(layer) not in sys.path:
                sys.path.insert(0, str(layer))

    def _new_instance(self) -> Callable[[dict, Any], Any]:
        return getattr(self.load_module(), self._handler_name)

    def load_module(self) -> Any:
        """Import the handler module afresh, as a new execution environment would."""
        name = f"_flyte_local_{self.function.logical_id}_{next(_instance_numbers)}"
        spec = importlib.util.spec_from_file_location(name, self._module_path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        sys.path.insert(0, str(self.function.code_dir))
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(self.function.code_dir))
        log.debug("cold start of %s (%s)", self.function.logical_id, name)
        return module

    def invoke(self, event: Any) -> Any:
        with self._lock:
            handler = self._idle.pop() if self._idle else None
        if handler is None:
            handler = self._new_instance()
        context = LambdaContext(function_name=self.function.logical_id, aws_request_id=str(uuid.uuid4()),
                                memory_limit_in_mb=512, deadline=time.monotonic() + self.function.timeout)
        try:
            return handler(event, context)
        finally:
            with self._lock:
                self._idle.append(handler)

    def warm(self) -> None:
        """Import one instance up front, so a broken handler fails at start-up, not on first use."""
        handler = self._new_instance()
        with self._lock:
            self._idle.append(handler)
