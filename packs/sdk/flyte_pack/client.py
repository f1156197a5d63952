"""HTTP side of the SDK: link discovery, registration, take, results and events.

Only ``{FLYTE_API}/v1`` is built by hand (as flyte-client does); every other URL comes from links,
located by the suffix of their ``rel``:

- packs URL: link of ``/v1`` whose rel ends with ``pack/listPacks``;
- events URL and take URL: links of the registered pack whose rel ends with ``event`` and
  ``takeAction``;
- result URL: link of the taken action whose rel ends with ``actionResult``;
- ready URL (this engine only, issue 21): link of the registered pack whose rel ends with
  ``actionReady``. When a pack has one, :meth:`FlyteClient.take` first waits there - API Gateway
  itself waits on the pack's queue, so no function is billed while the pack idles - and takes
  only once an action is waiting. Without it (the original Flyte, ``sam local``), a plain take.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
import requests.adapters

from .config import Config

log = logging.getLogger("flyte_pack")

REL_PACKS = "pack/listPacks"
REL_EVENT = "event"
REL_TAKE = "takeAction"
REL_RESULT = "actionResult"
REL_READY = "actionReady"
# After the ready poll saw an action, the take waits this long: a take with wait=0 is an SQS short
# poll, which samples some of the queue's servers and may miss a message that is there.
TAKE_AFTER_READY_WAIT = 1
IDEMPOTENCY_KEY = "Idempotency-Key"

try:  # the distribution version, for the User-Agent
    VERSION = metadata.version("flyte-pack")
except metadata.PackageNotFoundError:  # pragma: no cover - used from a source checkout
    VERSION = "0"


class FlyteAPIError(Exception):
    """The Flyte API could not be reached or answered something unexpected."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after  # seconds the API asked to wait (Retry-After), if it did

    @property
    def transient(self) -> bool:
        """Worth retrying (the same request, with the same Idempotency-Key): no answer, 429 or 5xx."""
        return self.status is None or self.status == 429 or self.status >= 500


class PackNotFoundError(FlyteAPIError):
    """The API does not know this pack (404), e.g. it was deleted as dead."""


@dataclass
class Action:
    """An action taken from the API: the command to run, its input and its links."""

    command: str
    input: Any
    links: list[dict[str, str]] = field(default_factory=list)

    @property
    def result_url(self) -> str:
        return find_link(self.links, REL_RESULT)


@dataclass
class Registration:
    """What registering returned: the pack id and the URLs found in the pack's links."""

    pack_id: str
    events_url: str
    take_url: str
    body: dict[str, Any]
    ready_url: str | None = None  # issue 21: the long poll that parks no function, when the API offers it


def find_link(links: Any, rel_suffix: str, base: str | None = None) -> str:
    """Href of the first link whose rel ends with ``rel_suffix`` (flyte-client's findURLByRel).

    A relative href is resolved against ``base`` (the URL of the document that held it).
    """
    if isinstance(links, list):
        for link in links:
            if (
                isinstance(link, dict)
                and isinstance(link.get("rel"), str)
                and link["rel"].endswith(rel_suffix)
                and isinstance(link.get("href"), str)
            ):
                return urljoin(base, link["href"]) if base else link["href"]
    raise FlyteAPIError(f"could not find link with rel ending {rel_suffix!r} in {links!r}")


def optional_link(links: Any, rel_suffix: str, base: str | None = None) -> str | None:
    """Like :func:`find_link`, None when there is no such link."""
    try:
        return find_link(links, rel_suffix, base)
    except FlyteAPIError:
        return None


def ready_answer(resp: requests.Response) -> bool | None:
    """Whether a ready poll's answer (API Gateway passing SQS ReceiveMessage's through) holds a
    message: True, False (none came), or None (not an answer of that kind: take as usual).

    Read in every form SQS has: the query protocol's XML, the same as JSON
    (``{"ReceiveMessageResponse": {"ReceiveMessageResult": {"messages": [...]}}}``, any case of
    ``messages``), and the JSON protocol's ``{"Messages": [...]}``; an empty body is no message."""
    text = resp.text.strip()
    if not text:
        return False
    if text.startswith("<"):
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError:
            return None
        names = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
        if "ReceiveMessageResult" not in names and "ReceiveMessageResponse" not in names:
            return None
        return "Message" in names
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    for key in ("ReceiveMessageResponse", "receiveMessageResponse"):
        if isinstance(body.get(key), dict):
            body = body[key]
            break
    for key in ("ReceiveMessageResult", "receiveMessageResult"):
        if isinstance(body.get(key), dict):
            body = body[key]
            break
    found = [body[key] for key in ("Messages", "messages", "Message") if key in body]
    if not found:
        return False if not body or set(body) <= {"ResponseMetadata"} else None
    if not all(value is None or isinstance(value, list | dict) for value in found):
        return None
    return any(bool(value) for value in found)


def api_root_v1(api_url: str) -> str:
    """``{FLYTE_API}/v1`` joined like Go's ``path.Join(u.Path, "v1")`` (query kept)."""
    parts = urlsplit(api_url)
    path = parts.path.rstrip("/") + "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def with_query(url: str, **params: Any) -> str:
    """``url`` with ``params`` added to (or replacing those in) its query string."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def now_rfc3339() -> str:
    """Current UTC time, RFC 3339 with milliseconds (``2022-01-02T15:04:05.123Z``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_body(name: str, payload: Any, chat_actor: dict[str, str] | None = None) -> bytes:
    """The JSON of an event or action result; raises ``TypeError``/``ValueError`` if the
    payload cannot be serialised. ``chat_actor`` (a chat pack's event): the person who acted,
    ``{"user", "email"}``, which the API keeps only from a token bound to that pack."""
    body: dict[str, Any] = {"event": name, "payload": payload, "createdAt": now_rfc3339()}
    if chat_actor:
        body["chatActor"] = chat_actor
    return json.dumps(body, allow_nan=False).encode("utf-8")


def new_idempotency_key() -> str:
    """One key per logical post (an event or a result), sent again on each retry of that post: the API
    then stores it once however many attempts reach it (issue 30)."""
    return str(uuid.uuid4())


def retry_after(resp: requests.Response) -> float | None:
    """The Retry-After the API sent, in seconds (only the delta-seconds form is used by Flyte)."""
    value = resp.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def describe_error(resp: requests.Response) -> str:
    """``"<status> <reason>: <title>: <detail>"`` from a problem+json body, else the body text."""
    text = f"{resp.status_code} {resp.reason or ''}".strip()
    detail = ""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and (body.get("title") or body.get("detail")):
        parts = [str(body[k]) for k in ("title", "detail") if body.get(k)]
        if parts and parts[0] == resp.reason:  # "503 Service Unavailable: Service Unavailable"
            parts = parts[1:]
        detail = ": ".join(parts)
    elif resp.text:
        detail = resp.text.strip()[:300]
    return f"{text}: {detail}" if detail else text


class FlyteClient:
    """Thin client over one ``requests.Session`` (connection reuse, timeouts, auth header)."""

    def __init__(self, config: Config, session: requests.Session | None = None) -> None:
        self.config = config
        self.root_url = api_root_v1(config.api_url)
        self.session = session or requests.Session()
        if session is None:
            # one pooled connection per concurrent handler, plus the poller and spontaneous events
            adapter = requests.adapters.HTTPAdapter(pool_maxsize=config.concurrency + 2)
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = f"flyte-pack-python/{VERSION}"
        self.session.headers["Accept"] = "application/json"
        if config.jwt:
            self.session.headers["Authorization"] = f"Bearer {config.jwt}"
        if config.ca_cert_file:
            self.session.verify = config.ca_cert_file
        self.packs_url: str | None = None
        self.registration: Registration | None = None
        # issue 21: how long a ready poll waits (SQS's most by default: the fewest requests while idle;
        # an explicit poll wait is kept, as a pack that stops waits for its last poll to end)
        self.ready_wait = config.effective_poll_wait if config.poll_wait is not None else 20
        self.use_ready = True  # off once the API answered the ready link 404 (sam local serves no such route)
        self._ready_lock = threading.Lock()
        self._ready_interrupted = False
        self._ready_answered: threading.Event | None = None  # the ready poll in flight's, if any

    # -- low level ---------------------------------------------------------------------------

    def _timeout(self, extra: float = 0.0) -> tuple[float, float] | None:
        t = self.config.timeout
        return None if t is None else (t, t + extra)

    def _post(self, url: str, data: bytes, extra_timeout: float = 0.0, idempotency_key: str | None = None) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if idempotency_key:
            headers[IDEMPOTENCY_KEY] = idempotency_key
        try:
            return self.session.post(url, data=data, timeout=self._timeout(extra_timeout), headers=headers)
        except requests.RequestException as exc:
            raise FlyteAPIError(f"POST {url} failed: {exc}") from exc

    # -- protocol ----------------------------------------------------------------------------

    def discover(self) -> str:
        """GET ``{FLYTE_API}/v1`` and keep the packs URL from its links."""
        try:
            resp = self.session.get(self.root_url, timeout=self._timeout())
        except requests.RequestException as exc:
            raise FlyteAPIError(f"cannot get api links from {self.root_url}: {exc}") from exc
        if resp.status_code != 200:
            raise FlyteAPIError(f"cannot get api links from {self.root_url}: {describe_error(resp)}", resp.status_code)
        try:
            links = resp.json()["links"]
        except (ValueError, KeyError, TypeError) as exc:
            raise FlyteAPIError(f"cannot decode api links from {self.root_url}: {exc}") from exc
        self.packs_url = find_link(links, REL_PACKS, resp.url)
        return self.packs_url

    def register(self, definition: dict[str, Any]) -> Registration:
        """POST the pack definition to the packs URL; requires 201 and the pack's links."""
        if self.packs_url is None:
            self.discover()
        assert self.packs_url is not None
        resp = self._post(self.packs_url, json.dumps(definition).encode("utf-8"))
        if resp.status_code != 201:
            raise FlyteAPIError(f"pack not created by POST {self.packs_url}: {describe_error(resp)}", resp.status_code)
        try:
            body = resp.json()
            links = body["links"]
        except (ValueError, KeyError, TypeError) as exc:
            raise FlyteAPIError(f"could not decode the registered pack: {exc}") from exc
        base = resp.url
        registration = Registration(
            pack_id=str(body.get("id", definition.get("name", ""))),
            events_url=find_link(links, REL_EVENT, base),
            take_url=find_link(links, REL_TAKE, base),
            body=body,
            ready_url=optional_link(links, REL_READY, base),
        )
        self.registration = registration
        return registration

    def _require_registration(self) -> Registration:
        if self.registration is None:
            raise FlyteAPIError("the pack is not registered yet")
        return self.registration

    def ready(self, wait: int) -> bool | None:
        """Wait up to ``wait`` seconds on the ready link for an action to be waiting (no function is
        parked meanwhile). True: one is (take it), False: none came, None: this API cannot say now
        (refused, failed, no such route): take as usual, which says why if something is wrong."""
        reg = self._require_registration()
        if not reg.ready_url or not self.use_ready:
            return None
        url = with_query(reg.ready_url, wait=wait)
        try:
            resp = self._get_unless_interrupted(url, self._timeout(wait))
        except requests.RequestException as exc:
            raise FlyteAPIError(f"GET {url} failed: {exc}") from exc
        if resp is None:
            return False
        if resp.status_code == 404:
            log.info("the API serves no ready poll at %s; taking with a long poll instead", reg.ready_url)
            self.use_ready = False
            return None
        if resp.status_code != 200:
            log.debug("ready poll at %s answered %s; taking instead", reg.ready_url, describe_error(resp))
            return None
        return ready_answer(resp)

    def _get_unless_interrupted(self, url: str, timeout: tuple[float, float] | None) -> requests.Response | None:
        """GET on a thread of its own, so that :meth:`interrupt_ready` can stop the wait for it: ``None``
        when interrupted. A ready poll claims nothing, so the answer it leaves behind loses nothing."""
        answered = threading.Event()
        outcome: list[requests.Response | Exception] = []

        def get() -> None:
            try:
                outcome.append(self.session.get(url, timeout=timeout))
            except Exception as exc:  # raised again in the poller's thread, as if it had made the call
                outcome.append(exc)
            finally:
                answered.set()

        with self._ready_lock:
            if self._ready_interrupted:
                return None
            self._ready_answered = answered
        # a daemon thread: an abandoned poll must not hold up the program's exit
        threading.Thread(target=get, name="flyte-ready-poll", daemon=True).start()
        answered.wait()
        with self._ready_lock:
            self._ready_answered = None
        if not outcome:
            return None
        if isinstance(outcome[0], Exception):
            raise outcome[0]
        return outcome[0]

    def interrupt_ready(self) -> None:
        """Stop waiting for the ready poll in flight, and poll no more (the pack is stopping): an
        idle pack then stops at once instead of after up to ``ready_wait`` seconds."""
        with self._ready_lock:
            self._ready_interrupted = True
            if self._ready_answered is not None:
                self._ready_answered.set()

    def take(self, wait: int) -> Action | None:
        """Take the next action, letting the server hold the request up to ``wait`` seconds.

        When the pack has a ready link (issue 21), waits there first (up to ``ready_wait``
        seconds) and takes only when an action is waiting: the same actions, at a fraction of the
        cost of a take held open. Returns ``None`` on 204 (or when nothing came); raises
        :class:`PackNotFoundError` on 404.
        """
        reg = self._require_registration()
        waiting = self.ready(self.ready_wait)
        if waiting is False:
            return None
        if waiting:
            wait = min(wait, TAKE_AFTER_READY_WAIT) if wait else TAKE_AFTER_READY_WAIT
        url = with_query(reg.take_url, wait=wait)
        resp = self._post(url, b"null", extra_timeout=wait)
        if resp.status_code == 204:
            return None
        if resp.status_code == 404:
            raise PackNotFoundError(f"pack {reg.pack_id!r} not found at {reg.take_url}: {describe_error(resp)}", 404)
        if resp.status_code != 200:
            raise FlyteAPIError(f"error taking action from {reg.take_url}: {describe_error(resp)}", resp.status_code)
        try:
            body = resp.json()
            links = [
                dict(link, href=urljoin(resp.url, link["href"]))
                for link in body.get("links") or []
                if isinstance(link, dict) and "href" in link
            ]
            return Action(command=body.get("command", ""), input=body.get("input"), links=links)
        except (ValueError, AttributeError, TypeError) as exc:
            raise FlyteAPIError(f"could not decode the action taken from {reg.take_url}: {exc}") from exc

    def post_event(self, body: bytes, idempotency_key: str | None = None) -> None:
        """POST a spontaneous event (already serialised) to the pack's events URL; requires 202.
        A retry of the same event sends the same ``idempotency_key``."""
        reg = self._require_registration()
        resp = self._post(reg.events_url, body, idempotency_key=idempotency_key)
        if resp.status_code == 404:
            raise PackNotFoundError(
                f"pack {reg.pack_id!r} not found posting an event to {reg.events_url}: {describe_error(resp)}", 404
            )
        if resp.status_code != 202:
            raise FlyteAPIError(
                f"event not accepted by {reg.events_url}: {describe_error(resp)}", resp.status_code, retry_after(resp)
            )

    def post_result(self, action: Action, body: bytes, idempotency_key: str | None = None) -> None:
        """POST an action's result event (already serialised) to its ``actionResult`` link. A retry
        of the same result sends the same ``idempotency_key``."""
        url = action.result_url
        resp = self._post(url, body, idempotency_key=idempotency_key)
        if resp.status_code == 404:
            raise PackNotFoundError(f"action result rejected by {url}: {describe_error(resp)}", 404)
        if resp.status_code != 202:
            raise FlyteAPIError(
                f"action result not accepted by {url}: {describe_error(resp)}", resp.status_code, retry_after(resp)
            )

    def close(self) -> None:
        self.session.close()
