"""The whole local stack: backend, resources, functions, HTTP gateway, stream pollers and schedules."""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import application
from .backend import Backend
from .faults import FaultProxy, FaultSpec
from .gateway import Gateway
from .metrics import MetricLog
from .runtime import CONCURRENT_STARTS, Capacity, FunctionError, FunctionProcesses
from .service_routes import ServiceRoutes

log = logging.getLogger("flyte_local")

# What a Lambda environment has that a developer's shell may not, and what has no meaning locally.
LOCAL_ENVIRONMENT = {
    "AWS_REGION": application.REGION,
    "AWS_DEFAULT_REGION": application.REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
    # Metrics on: the runtime collects each invocation's EMF lines and shows them (flyte_local.metrics).
    "POWERTOOLS_METRICS_DISABLED": "false",
}
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}


# The original's auth variables: taken from the environment of `make run` (or given to LocalStack) and
# handed to every function, so `FLYTE_AUTH_POLICY_PATH=policy.yaml FLYTE_OIDC_ISSUER_URL=...
# FLYTE_OIDC_ISSUER_CLIENT_ID=... make run` serves the API with auth on.
AUTH_VARIABLES = ("FLYTE_AUTH_POLICY_PATH", "FLYTE_OIDC_ISSUER_URL", "FLYTE_OIDC_ISSUER_CLIENT_ID")


def auth_environment(environ: dict[str, str] | os._Environ) -> dict[str, str]:
    """The auth variables set in `environ`, with the policy path made absolute (workers may move)."""
    chosen = {name: environ[name] for name in AUTH_VARIABLES if environ.get(name)}
    if "FLYTE_AUTH_POLICY_PATH" in chosen and not chosen["FLYTE_AUTH_POLICY_PATH"].startswith("ssm:"):
        chosen["FLYTE_AUTH_POLICY_PATH"] = os.path.abspath(chosen["FLYTE_AUTH_POLICY_PATH"])
    return chosen


class EnvironmentConflict(Exception):
    pass


class PortInUse(Exception):
    """The gateway's port is taken; said before anything starts, with how to choose another."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"Port {port} on {host} is already in use (another `make run`?). "
            f"Stop what listens there, or choose another port: FLYTE_PORT={port + 1} make run"
        )
        self.host, self.port = host, port


def free_port(host: str) -> int:
    """A port nothing listens on now, for a stack asked for any port (port 0)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def ensure_port_free(host: str, port: int) -> None:
    """Bind the port as the gateway will (address reuse on), so a busy port fails at once rather than
    after the functions have started."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(host, port) from None
            raise


def merged_environment(app: application.Application) -> dict[str, str]:
    """The variables of every function as one environment, for the tools that import all handlers into
    one process (the OpenAPI generator, `provision`, in-process handler tests); the stack itself gives
    each function its own processes and environment. Shared names must therefore agree."""
    merged: dict[str, str] = {}
    owners: dict[str, str] = {}
    for function in app.functions.values():
        for key, value in function.environment.items():
            if key in merged and merged[key] != value:
                raise EnvironmentConflict(
                    f"{key} is {merged[key]!r} in {owners[key]} but {value!r} in {function.logical_id}; "
                    "tools that load every handler in one process need one value: give them the same value or different names"
                )
            merged[key], owners[key] = value, function.logical_id
    return merged


class LocalStack:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8080,
        endpoint: str | None = None,
        parameter_overrides: dict[str, str] | None = None,
        environment: dict[str, str] | None = None,
        count_aws_requests: bool = False,
        faults: FaultSpec | None = None,
        warm_in_background: bool = False,
    ) -> None:
        self.host, self.port = host, port
        # False: start() returns once every function has a warm environment (a handler that cannot
        # import fails start()). True (`make run`): the gateway answers at once and the functions warm
        # behind it; a request for one not warm yet waits for its environment, as a cold start does.
        self.warm_in_background = warm_in_background
        self.warmed = threading.Event()  # set when every function has been warmed (or failed to)
        self._stopping = threading.Event()
        # the warm-up's last line never follows the stop's first; reentrant: a second Ctrl-C during stop()
        self._announcing = threading.RLock()
        self.faults = faults  # given (even none active yet): a fault proxy between the functions and AWS
        self.fault_proxy: FaultProxy | None = None
        self.environment = environment or {}  # overrides the template's variables (the auth ones, say)
        self.count_aws_requests = count_aws_requests  # per function, in runtimes[...].aws_requests (benchmarks)
        self.endpoint = endpoint
        self.parameter_overrides = parameter_overrides or {}
        self.backend: Backend | None = None
        self.gateway: Gateway | None = None
        self.service_routes: ServiceRoutes | None = None  # API Gateway's own integrations (issue 21: ready)
        self.runtimes: dict[str, FunctionProcesses] = {}
        self.metrics = MetricLog()  # what the functions would send to CloudWatch
        self.lambda_api: Any = None
        self.app: application.Application | None = None
        self._background: list[Any] = []
        # set when an invocation ended, the stream pollers' cue to read at once (whatever the function
        # wrote to a table); they poll by themselves only as a fallback, for writes from outside
        self._invocation_ended = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalStack:
        ensure_port_free(self.host, self.port)
        if self.port == 0:  # the functions are told the API's address (FLYTE_API_URL) before it listens
            self.port = free_port(self.host)
        if self.endpoint is None:
            for key, value in FAKE_CREDENTIALS.items():
                os.environ.setdefault(key, value)
        self.backend = Backend(self.endpoint)
        self.app = application.load(self.backend.endpoint, self.parameter_overrides)
        self.backend.create_resources(self.app)
        from .lambda_api import LambdaApi

        self.lambda_api = LambdaApi(self.app, self.invoke)
        self.lambda_api.start()
        if self.faults is not None:
            self.fault_proxy = FaultProxy(self.backend.endpoint, self.faults).start()
        self.capacity = capacity = Capacity()  # one machine: every function's environments share its memory and cores
        self.runtimes = {
            name: FunctionProcesses(
                function,
                self.function_environment(function),
                capacity=capacity,
                count_aws_requests=self.count_aws_requests,
                metrics=self.metrics,
                after_invoke=self._invocation_ended.set,
            )
            for name, function in self.app.functions.items()
        }
        if self.warm_in_background:
            threading.Thread(target=self._warm_every_function, name="flyte-local-warm", daemon=True).start()
        else:
            self._warm_every_function()
        self._start_event_sources()
        trusted = any(
            self.function_environment(f).get("FLYTE_TRUST_FORWARDED_HOST") == "true" for f in self.app.functions.values()
        )
        self.service_routes = ServiceRoutes(self.invoke, self.backend.client)
        self.gateway = Gateway(
            self.app.routes,
            self.invoke,
            trust_forwarded=trusted,
            throttling=self.app.throttling,
            service=self.service_routes.handle,
        )
        try:
            self.port = self.gateway.start(self.host, self.port)
        except OSError as error:  # taken while the functions started
            if error.errno != errno.EADDRINUSE:
                raise
            self.stop()
            raise PortInUse(self.host, self.port) from None
        log.info(
            "Flyte local stack on %s (AWS endpoint %s, %d routes, %d functions)",
            self.url,
            self.backend.endpoint,
            len(self.app.routes),
            len(self.runtimes),
        )
        return self

    def _warm_every_function(self) -> None:
        """One environment per function, all started at once; in the background, a failure is logged
        (the function's requests fail with its error) instead of ending start()."""
        began = time.monotonic()

        def warm(runtime: FunctionProcesses) -> None:
            if self.warm_in_background and (runtime.environments or self._stopping.is_set()):  # a request started one, or stop()
                return
            try:
                runtime.warm()
            except FunctionError as error:
                if not self.warm_in_background:
                    raise
                with self._announcing:
                    if not self._stopping.is_set():  # else Ctrl-C reached the starting environment too: no failure
                        log.error("%s", error)

        runtimes = list(self.runtimes.values())
        if self.warm_in_background:  # at most as many starts at once as cores, /health's function first
            first = {route.function for route in self._running()[0].routes if route.path in ("/health", "/v1")}
            runtimes.sort(key=lambda runtime: runtime.function.logical_id not in first)
        try:
            with ThreadPoolExecutor(
                max_workers=(CONCURRENT_STARTS if self.warm_in_background else len(runtimes)) or 1
            ) as starting:
                list(starting.map(warm, runtimes))
        finally:
            self.warmed.set()
        with self._announcing:
            if self.warm_in_background and not self._stopping.is_set():
                log.info("%d functions warm (%.1f s after the gateway answered)", len(self.runtimes), time.monotonic() - began)

    def function_environment(self, function: application.Function) -> dict[str, str]:
        """What the function's environment holds in Lambda: its template variables, the region,
        credentials, and here the endpoint of the local AWS."""
        app, backend = self._running()
        own = {**function.environment}
        for api in app.http_apis:  # the deployed API's address, in values such as FLYTE_API_URL: this stack's
            own = {key: value.replace(application.deployed_api_url(api), self.url + "/") for key, value in own.items()}
        environment = {**os.environ, **LOCAL_ENVIRONMENT, **own, **self.environment}
        environment["AWS_ENDPOINT_URL"] = self.fault_proxy.url if self.fault_proxy else backend.endpoint
        if self.lambda_api is not None:  # functions invoking functions (lazy listeners) reach this stack's
            environment["AWS_ENDPOINT_URL_LAMBDA"] = self.lambda_api.url
        environment["AWS_LAMBDA_FUNCTION_NAME"] = function.logical_id
        return environment

    def _start_event_sources(self) -> None:
        """Stream and queue pollers and schedules, for the template's DynamoDB, SQS and Schedule events."""
        from .event_sources import QueuePoller, ScheduleGroupPoller, SchedulePoller, StreamPoller

        app, backend = self._running()
        for source in app.streams:
            poller = StreamPoller(source, app, backend, self.invoke, self._invocation_ended)
            poller.start()
            self._background.append(poller)
        for queue_source in app.queue_sources:
            queue_poller = QueuePoller(queue_source, app, backend, self.invoke)
            queue_poller.start()
            self._background.append(queue_poller)
        for schedule in app.schedules:
            if schedule.enabled:
                scheduler = SchedulePoller(schedule, self.invoke)
                scheduler.start()
                self._background.append(scheduler)
        for group in app.schedule_groups:
            group_poller = ScheduleGroupPoller(group, app, backend, self.invoke)
            group_poller.start()
            self._background.append(group_poller)

    def pause(self) -> None:
        """Stop the stream and queue pollers and schedules (the functions stay warm, the gateway keeps serving)."""
        for poller in self._background:
            poller.stop()
        self._background.clear()

    def reset(self) -> None:
        """Forget every table, queue and item (moto only) and start the event sources afresh: a clean
        stack without starting the functions again (what the tests reuse between modules)."""
        assert self.backend is not None and self.app is not None, "reset() needs a started stack"
        self.pause()
        self.backend.reset()
        self.backend.create_resources(self.app)
        if self.service_routes is not None:
            self.service_routes.clear_cache()  # the authorizer's answers were about the packs just forgotten
        self._start_event_sources()

    def fire_schedule(self, function: str) -> Any:
        """Invoke a function's schedule now, as EventBridge would when it is due."""
        from .event_sources import SchedulePoller

        schedule = next(s for s in self._running()[0].schedules if s.function == function)
        return SchedulePoller(schedule, self.invoke).fire()

    def _running(self) -> tuple[application.Application, Backend]:
        """The template and the local AWS, which exist once start() has run."""
        if self.app is None or self.backend is None:
            raise RuntimeError("the local stack is not started")
        return self.app, self.backend

    def invoke(self, function: str, event: Any) -> Any:
        return self.runtimes[function].invoke(event)

    def begin_stop(self) -> None:
        """From now on the background warm-up starts nothing and says nothing (Ctrl-C during it)."""
        with self._announcing:
            self._stopping.set()

    def stop(self) -> None:
        self.begin_stop()
        if self.gateway is not None:
            self.gateway.stop()
        if self.lambda_api is not None:
            self.lambda_api.stop()
        self.pause()
        for runtime in self.runtimes.values():
            runtime.stop()
        if self.fault_proxy is not None:
            self.fault_proxy.stop()
            self.fault_proxy = None
        if self.backend is not None:
            self.backend.stop()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()
