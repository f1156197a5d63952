"""Pack definitions and the run loop (flyte-client's ``flyte`` package)."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Self

import requests

from .client import Action, FlyteAPIError, FlyteClient, PackNotFoundError, event_body, new_idempotency_key
from .config import ENV_API, Config
from .logs import configure_logging

log = logging.getLogger("flyte_pack")

FATAL = "FATAL"
REGISTER_RETRY_INTERVAL = 3.0  # flyte-client's registerRetryWait / flyteApiRetryWait
POLL_INTERVAL = 5.0  # flyte-client's polling frequency, used when the server does not long-poll
RESULT_RETRIES = 3


@dataclass(frozen=True)
class EventDef:
    """An event the pack can send, spontaneously or as a command's output."""

    name: str
    help_url: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"an event needs a non-empty name, got {self.name!r}")


@dataclass
class Event:
    """An event instance: a name and a JSON-serialisable payload; a chat pack's event may say who
    acted (``chat_actor``: ``{"user": chat user id, "email": verified email}``)."""

    name: str
    payload: Any = None
    chat_actor: dict[str, str] | None = None

    @classmethod
    def fatal(cls, payload: Any) -> Event:
        """A ``FATAL`` event: the preferred way for a handler to report a serious error
        (the action ends in state FATAL)."""
        return cls(FATAL, payload)


Handler = Callable[[Any], Event]


@dataclass(frozen=True)
class Command:
    """A command the pack runs: its name, the handler called with the action's decoded JSON
    input (returning an :class:`Event`), the events it may output and an optional help URL."""

    name: str
    handler: Handler
    output_events: Sequence[str | EventDef] = field(default_factory=tuple)
    help_url: str | None = None
    # push mode: answer the delivery 202 at once and post the result to the action's link when the
    # handler is done (for commands that may take longer than the engine's 10 s wait)
    deferred: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a command needs a non-empty name, got {self.name!r}")
        if not callable(self.handler):
            raise TypeError(f"the handler of command {self.name!r} is not callable")
        object.__setattr__(self, "output_events", tuple(_event_def(e) for e in self.output_events))

    @property
    def output_event_names(self) -> list[str]:
        return [e.name for e in self.output_events]  # type: ignore[union-attr]


def _event_def(value: str | EventDef) -> EventDef:
    return value if isinstance(value, EventDef) else EventDef(value)


class PackNotRegisteredError(FlyteAPIError):
    """An event was sent before the pack could register (or after it stopped)."""


class Pack:
    """A Flyte pack: its definition plus the machinery that registers it, takes actions,
    runs command handlers and posts their results.

    Configuration comes from keyword arguments, else from the environment (``env``, default
    ``os.environ``): ``api_url`` (``FLYTE_API``), ``labels`` (``FLYTE_LABELS``), ``jwt``
    (``FLYTE_JWT``), ``timeout`` in seconds (``FLYTE_API_TIMEOUT``, ``0`` = none),
    ``concurrency`` (``FLYTE_PACK_CONCURRENCY``), ``poll_wait`` (``FLYTE_PACK_POLL_WAIT``),
    ``ca_cert_file`` (``FLYTE_CA_CERT_FILE``). ``api_env_names`` lists the variables that may
    hold the API URL (first set wins). A missing or invalid setting raises
    :class:`~flyte_pack.ConfigError` here, before anything runs.

    ``retry_interval`` (registration retries, default 3 s), ``poll_interval`` (pause after an
    empty or failed take, default 5 s) and ``result_retries`` tune the run loop; tests shorten
    them.
    """

    def __init__(
        self,
        name: str,
        commands: Iterable[Command] = (),
        events: Iterable[str | EventDef] = (),
        help_url: str | None = None,
        *,
        labels: Mapping[str, str] | None = None,
        api_url: str | None = None,
        jwt: str | None = None,
        timeout: float | None = None,
        concurrency: int | None = None,
        poll_wait: int | None = None,
        ca_cert_file: str | None = None,
        delivery_url: str | None = None,
        delivery_secret: str | None = None,
        listen: str | None = None,
        answer_within: float | None = None,
        env: Mapping[str, str] | None = None,
        api_env_names: tuple[str, ...] = (ENV_API,),
        retry_interval: float = REGISTER_RETRY_INTERVAL,
        poll_interval: float = POLL_INTERVAL,
        result_retries: int = RESULT_RETRIES,
        session: requests.Session | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a pack needs a non-empty name, got {name!r}")
        self.name = name
        self.commands: tuple[Command, ...] = tuple(commands)
        self.events: tuple[EventDef, ...] = tuple(_event_def(e) for e in events)
        self.help_url = help_url
        self._handlers: dict[str, Command] = {}
        for command in self.commands:
            if command.name in self._handlers:
                raise ValueError(f"command {command.name!r} is defined twice")
            self._handlers[command.name] = command

        self.config = Config.from_env(
            env,
            api_env_names=api_env_names,
            api_url=api_url,
            labels=dict(labels) if labels is not None else None,
            jwt=jwt,
            timeout=timeout,
            concurrency=concurrency,
            poll_wait=poll_wait,
            ca_cert_file=ca_cert_file,
            delivery_url=delivery_url,
            delivery_secret=delivery_secret,
            listen=listen,
            answer_within=answer_within,
        )
        self.retry_interval = retry_interval
        self.poll_interval = poll_interval
        self.result_retries = result_retries
        self.client = FlyteClient(self.config, session)

        self._stop = threading.Event()
        self._registered = threading.Event()
        self._done = threading.Event()
        self._state_lock = threading.Lock()
        self._register_lock = threading.Lock()
        self._registration_count = 0
        self._started = False
        self._runner: threading.Thread | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._slots = threading.BoundedSemaphore(self.config.concurrency)
        self._in_flight = 0
        self._in_action = threading.local()
        self._error: BaseException | None = None
        self._issued_secret: str | None = None  # push mode: the secret the engine made at registration
        self.push_server: Any = None  # push mode: the local HTTP server, once serving (flyte_pack.push)

    # -- definition ------------------------------------------------------------------------

    def command(
        self,
        name: str | None = None,
        *,
        output_events: Sequence[str | EventDef] = (),
        help_url: str | None = None,
        deferred: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Declare a command with a decorator, the same for long polling and push mode::

        @pack.command("SendMessage", output_events=["MessageSent"])
        def send_message(input): ...
        """

        def declare(handler: Handler) -> Handler:
            if self._started:
                raise RuntimeError("commands are declared before the pack starts")
            command = Command(name or handler.__name__, handler, output_events, help_url, deferred)
            if command.name in self._handlers:
                raise ValueError(f"command {command.name!r} is defined twice")
            self._handlers[command.name] = command
            self.commands = (*self.commands, command)
            return handler

        return declare

    def find_command(self, name: str) -> Command | None:
        return self._handlers.get(name)

    @property
    def delivery_secret(self) -> str | None:
        """Push mode: the secret deliveries are signed with (configured, or made by the engine)."""
        return self.config.delivery_secret or self._issued_secret

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.config.labels)

    @property
    def pack_id(self) -> str | None:
        """The id the API gave the pack at registration (``None`` before)."""
        reg = self.client.registration
        return reg.pack_id if reg else None

    def definition(self) -> dict[str, Any]:
        """The registration body (api-contract §3.1), as flyte-client builds it: events are the union of
        the commands' output events and the declared events."""
        events: dict[str, dict[str, Any]] = {}

        def add(event_def: EventDef) -> None:
            entry: dict[str, Any] = {"name": event_def.name}
            if event_def.help_url:
                entry["links"] = [{"href": event_def.help_url, "rel": "help"}]
            if event_def.name not in events or ("links" in entry and "links" not in events[event_def.name]):
                events[event_def.name] = entry

        commands = []
        for command in self.commands:
            for event_def in command.output_events:
                add(event_def)  # type: ignore[arg-type]
            entry: dict[str, Any] = {"name": command.name, "events": command.output_event_names}
            if command.help_url:
                entry["links"] = [{"href": command.help_url, "rel": "help"}]
            commands.append(entry)
        for event_def in self.events:
            add(event_def)

        body: dict[str, Any] = {"name": self.name}
        if self.config.labels:
            body["labels"] = dict(self.config.labels)
        body["events"] = list(events.values())
        if commands:
            body["commands"] = commands
        body["links"] = [{"href": self.help_url, "rel": "help"}] if self.help_url else []
        if self.config.push:
            delivery: dict[str, Any] = {"url": self.config.delivery_url}
            if self.config.delivery_secret:
                delivery["secret"] = self.config.delivery_secret
            body["delivery"] = delivery
        return body

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, block: bool = True) -> None:
        """Register the pack and handle actions until stopped.

        ``block=True`` (a pack's ``main``): runs until SIGINT/SIGTERM (when called from the main
        thread) or :meth:`stop`; a first signal stops gracefully, a second one exits at once.
        It sets up console logging if the application has none (``LOGLEVEL``), and re-raises
        an unexpected error of the run loop.
        ``block=False`` (tests, embedding): returns at once; the pack registers and polls in a
        background thread. Use :meth:`wait_registered` and :meth:`stop`.
        """
        with self._state_lock:
            if self._started:
                raise RuntimeError("a Pack can be started only once")
            self._started = True
        if block and not logging.getLogger().handlers:
            configure_logging()
        self._executor = ThreadPoolExecutor(max_workers=self.config.concurrency, thread_name_prefix=f"{self.name}-action")
        self._runner = threading.Thread(target=self._run, name=f"{self.name}-poller", daemon=True)
        if self.config.push:
            log.info(
                "starting pack %r in push mode (API %s, labels %s, delivery %s, listening on %s)",
                self.name,
                self.config.api_url,
                self.config.labels or "{}",
                self.config.delivery_url,
                self.config.listen,
            )
        else:
            log.info(
                "starting pack %r (API %s, labels %s, concurrency %d, long-poll wait %d s)",
                self.name,
                self.config.api_url,
                self.config.labels or "{}",
                self.config.concurrency,
                self.config.effective_poll_wait,
            )
        self._runner.start()
        if block:
            self._block_until_done()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop gracefully: no new action is taken (a take request already waiting on the
        server is allowed to finish, and an action it brings is still run; a ready poll, which
        claims nothing, is not waited for); actions in flight finish and their results are
        posted; then the pack's HTTP session is closed.

        Waits up to ``timeout`` seconds (``None`` = until done) and returns whether the pack has
        fully stopped. Called from a handler it only requests the stop and returns ``False``.
        """
        if not self._stop.is_set():
            log.info("stopping pack %r: taking no new actions (%d in flight)", self.name, self._in_flight)
        self._stop.set()
        self.client.interrupt_ready()
        if not self._started:
            return True
        if threading.current_thread() is self._runner or getattr(self._in_action, "active", False):
            return False
        return self._done.wait(timeout)

    def wait_registered(self, timeout: float | None = None) -> bool:
        """Wait until the pack is registered (``True``), or ``timeout`` seconds pass / it stops."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._registered.is_set():
                return True
            if self._stop.is_set():
                return False
            remaining = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
            if remaining <= 0:
                return self._registered.is_set()
            self._registered.wait(remaining)

    @property
    def running(self) -> bool:
        return self._started and not self._done.is_set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def __enter__(self) -> Self:
        self.start(block=False)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- spontaneous events ----------------------------------------------------------------

    def send_event(self, event: Event, timeout: float | None = 30.0) -> None:
        """Send an event the pack observed (flyte-client's ``SendEvent``); thread-safe.

        Waits up to ``timeout`` seconds for the pack to be registered. Raises ``TypeError`` if
        the payload is not JSON-serialisable, :class:`PackNotRegisteredError` if the pack is not
        registered in time, :class:`FlyteAPIError` if the API does not accept the event (202).
        If the API no longer knows the pack (404), the pack registers again and resends once.
        Transient failures (no answer, 429, 5xx) are retried ``result_retries`` times, after the
        ``Retry-After`` the API sent or a doubling delay; every attempt carries the event's one
        ``Idempotency-Key``, so the API stores the event once however many attempts reach it.
        """
        if not isinstance(event, Event):
            raise TypeError(f"send_event expects an Event, got {type(event).__name__}")
        body = event_body(event.name, event.payload, event.chat_actor)
        key = new_idempotency_key()  # one per event, the same on every retry: the API stores it once
        if self._done.is_set():
            raise PackNotRegisteredError(f"pack {self.name!r} is stopped")
        if not self.wait_registered(timeout):
            raise PackNotRegisteredError(f"pack {self.name!r} is not registered; event {event.name!r} not sent")
        attempts = 1 + max(0, self.result_retries)
        for attempt in range(1, attempts + 1):
            try:
                self.client.post_event(body, key)
                break
            except PackNotFoundError as exc:
                log.warning("%s; registering pack %r again and resending event %r", exc, self.name, event.name)
                self._register_once(self._registration_count)
                self.client.post_event(body, key)
                break
            except FlyteAPIError as exc:
                if not exc.transient or attempt == attempts:
                    raise
                delay = self._retry_delay(exc, attempt)
                log.warning("could not send event %r: %s; retrying in %g s", event.name, exc, delay)
                time.sleep(delay)
        log.info("sent event %r", event.name)

    # -- run loop --------------------------------------------------------------------------

    def _block_until_done(self) -> None:
        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, self._on_signal)
        try:
            while not self._done.wait(1.0):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if self._error is not None:
            raise self._error

    def _on_signal(self, signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if self._stop.is_set():
            log.error("%s received again: exiting now, abandoning %d action(s) in flight", name, self._in_flight)
            os._exit(128 + signum)
        log.info("%s received: stopping gracefully (send it again to exit at once)", name)
        self.stop(timeout=0)

    def _run(self) -> None:
        try:
            if self.config.push:
                self._serve_push()
            elif self._register_until_done():
                if self.commands:
                    self._poll_loop()
                else:
                    self._stop.wait()
        except BaseException as exc:  # pragma: no cover - a bug; reported by start(block=True)
            log.exception("pack %r stopped on an unexpected error", self.name)
            self._error = exc
        finally:
            assert self._executor is not None
            if self._in_flight:
                log.info("waiting for %d action(s) in flight to finish", self._in_flight)
            self._executor.shutdown(wait=True)
            self.client.close()
            log.info("pack %r stopped", self.name)
            self._done.set()

    def _register_once(self, seen_count: int) -> None:
        """Register (discovering the packs URL first if needed); one attempt. Skips if another
        thread registered since the caller saw ``seen_count`` registrations."""
        with self._register_lock:
            if self._registration_count != seen_count:
                return
            if self.client.packs_url is None:
                self.client.discover()
            try:
                reg = self.client.register(self.definition())
            except FlyteAPIError as exc:
                if exc.status == 404:  # the packs link moved: discover again next time
                    self.client.packs_url = None
                raise
            issued = (reg.body.get("delivery") or {}).get("secret") if isinstance(reg.body, dict) else None
            if isinstance(issued, str) and issued:
                self._issued_secret = issued  # shown once by the engine: kept in memory only
            self._registration_count += 1
            self._registered.set()
            if self.config.push:
                log.info("registered pack %r as %r (push delivery to %s)", self.name, reg.pack_id, self.config.delivery_url)
            else:
                log.info("registered pack %r as %r (take: %s, events: %s)", self.name, reg.pack_id, reg.take_url, reg.events_url)

    def register(self) -> None:
        """Register the pack now, one attempt (push mode in Lambda registers this way); raises
        :class:`FlyteAPIError` when the API refuses."""
        self._register_once(self._registration_count)

    def _serve_push(self) -> None:
        """Push mode: listen first (the engine may deliver as soon as the pack is registered), then
        register, then serve until stopped."""
        from .push import PushServer

        server = PushServer(self)
        self.push_server = server
        server.start()
        try:
            if self._register_until_done():
                self._stop.wait()
        finally:
            server.stop()

    def _register_until_done(self) -> bool:
        """Register, retrying every ``retry_interval`` seconds until it works or the pack stops."""
        while not self._stop.is_set():
            try:
                self._register_once(self._registration_count)
                return True
            except FlyteAPIError as exc:
                log.warning("cannot register pack %r: %s; retrying in %g s", self.name, exc, self.retry_interval)
                self._stop.wait(self.retry_interval)
        return False

    def _acquire_slot(self) -> bool:
        while not self._stop.is_set():
            if self._slots.acquire(timeout=0.2):
                return True
        return False

    def _poll_loop(self) -> None:
        assert self._executor is not None
        wait = self.config.effective_poll_wait
        while self._acquire_slot():
            started = time.monotonic()
            try:
                action = self.client.take(wait)
            except PackNotFoundError as exc:
                self._slots.release()
                log.warning("%s: the API no longer knows this pack; registering it again (flyte-client would exit here)", exc)
                self._registered.clear()
                if not self._register_until_done():
                    break
                continue
            except FlyteAPIError as exc:
                self._slots.release()
                log.warning("could not take action: %s; retrying in %g s", exc, self.poll_interval)
                self._stop.wait(self.poll_interval)
                continue
            if action is None:
                self._slots.release()
                # A server that ignores ?wait (the original) answers 204 at once: poll at the
                # polling interval then, not in a busy loop.
                remaining = self.poll_interval - (time.monotonic() - started)
                if remaining > 0:
                    self._stop.wait(remaining)
                continue
            with self._state_lock:
                self._in_flight += 1
            log.info("took action %r", action.command)
            self._executor.submit(self._handle, action)

    def _handle(self, action: Action) -> None:
        self._in_action.active = True
        started = time.monotonic()
        try:
            event = self._invoke(action)
            try:
                body = event_body(event.name, event.payload)
            except (TypeError, ValueError) as exc:
                message = (
                    f"command handler for {action.command!r} returned event {event.name!r} "
                    f"whose payload is not JSON-serialisable: {exc}"
                )
                log.error(message)
                event = Event.fatal(message)
                body = event_body(event.name, event.payload)
            self._complete(action, body, event.name, time.monotonic() - started)
        except BaseException:  # pragma: no cover - never lose the slot on a bug
            log.exception("unexpected error completing action %r", action.command)
        finally:
            self._in_action.active = False
            with self._state_lock:
                self._in_flight -= 1
            self._slots.release()

    def result_body(self, action: Action) -> tuple[str, bytes]:
        """Run the action's command and return its result event's name and JSON (a FATAL event when the
        handler fails, returns no Event or a payload that is not JSON), as a result is posted."""
        event = self._invoke(action)
        try:
            return event.name, event_body(event.name, event.payload)
        except (TypeError, ValueError) as exc:
            message = (
                f"command handler for {action.command!r} returned event {event.name!r} "
                f"whose payload is not JSON-serialisable: {exc}"
            )
            log.error(message)
            return FATAL, event_body(FATAL, message)

    def post_result(self, action: Action, body: bytes, event_name: str, elapsed: float) -> None:
        """Post a result to the action's link, retrying transient failures (push mode's 202s)."""
        self._complete(action, body, event_name, elapsed)

    def _invoke(self, action: Action) -> Event:
        command = self._handlers.get(action.command)
        if command is None:
            message = (
                f"no handler could be found for command {action.command!r} in pack "
                f"{self.name!r} (commands: {', '.join(self._handlers) or 'none'})"
            )
            log.error(message)
            return Event.fatal(message)
        try:
            result = command.handler(action.input)
        except BaseException as exc:  # flyte-client recovers any panic too
            message = str(exc) or type(exc).__name__
            log.exception("command handler for %r raised %s: %s", action.command, type(exc).__name__, message)
            return Event.fatal(message)
        if not isinstance(result, Event):
            message = f"command handler for {action.command!r} returned {type(result).__name__}, not an Event"
            log.error(message)
            return Event.fatal(message)
        if result.name != FATAL and command.output_events and result.name not in command.output_event_names:
            log.warning(
                "command %r returned event %r, which is not among its declared output events %s",
                action.command,
                result.name,
                command.output_event_names,
            )
        return result

    def _retry_delay(self, exc: FlyteAPIError, attempt: int) -> float:
        """The wait before retry `attempt`: what the API asked (Retry-After), else doubling from
        ``retry_interval``; at most 30 s."""
        if exc.retry_after is not None:
            return min(30.0, exc.retry_after)
        return min(30.0, self.retry_interval * 2 ** (attempt - 1))

    def _complete(self, action: Action, body: bytes, event_name: str, elapsed: float) -> None:
        """Post the result to the action's own ``actionResult`` link; transient failures
        (connection errors, 404 while the pack re-registers, 429, 5xx) are retried."""
        try:
            action.result_url  # noqa: B018 - validate before retrying anything
        except FlyteAPIError as exc:
            log.error("cannot complete action %r with event %r: %s", action.command, event_name, exc)
            return
        attempts = 1 + max(0, self.result_retries)
        key = new_idempotency_key()  # one per result, the same on every retry: recorded once
        for attempt in range(1, attempts + 1):
            try:
                self.client.post_result(action, body, key)
                log.info("completed action %r with event %r after %.2f s", action.command, event_name, elapsed)
                return
            except FlyteAPIError as exc:
                transient = exc.status is None or exc.status in (404, 429) or exc.status >= 500
                if not transient or attempt == attempts:
                    log.error("could not complete action %r with event %r: %s", action.command, event_name, exc)
                    return
                delay = self._retry_delay(exc, attempt)
                log.warning(
                    "could not complete action %r with event %r: %s; retrying in %g s", action.command, event_name, exc, delay
                )
                time.sleep(delay)
