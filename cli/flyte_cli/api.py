"""The Flyte API as the CLI sees it: every URL discovered from `/v1` or from links inside responses.

Only the entry point (`FLYTE_API` + `/v1`, as flyte-client does) is known in advance. Resources are
found by the rel of their `/v1` link; an item is its collection's URL plus its quoted id. Endpoints
that newer servers add (dry run, replay, traces) are looked up by rel first and, while a server does
not advertise them, derived from the collection links the way the API lays them out; a route the
server does not have answers API Gateway's plain 404, which becomes "this API does not offer ...".
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import requests

from . import __version__

DEFAULT_API = "http://localhost:8080"
PROBLEM_TYPE = "application/problem+json"
TIMEOUT_SECONDS = 35  # above the API's own 30 s limit, so the server's answer wins
IDEMPOTENCY_KEY = "Idempotency-Key"
RETRIES = 3  # of a post the API could not answer
RETRIED_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_WAIT_SECONDS = 10.0


class CliFailure(Exception):
    """Something the user must be told about on stderr; the command exits 1."""


class Unreachable(CliFailure):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"Cannot reach the Flyte API at {url} ({reason}).")
        self.url = url


@dataclass
class Refused(CliFailure):
    """The API answered with an error status: a problem+json body when the function answered."""

    status: int
    problem: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    reason: str = ""
    retry_after: float = 1.0  # seconds the API asked to wait before a retry (Retry-After), else 1

    def __str__(self) -> str:
        return str(self.problem.get("detail") or self.text or f"HTTP {self.status}")


class NotOffered(CliFailure):
    def __init__(self, what: str, where: str) -> None:
        super().__init__(f"This API does not offer {what}: {where} is not one of its routes (a newer Flyte server has it).")


class Api:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = TIMEOUT_SECONDS) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": f"flyte-cli/{__version__}"})
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self._links: list[dict[str, str]] | None = None

    # --- transport -------------------------------------------------------------------------------

    def request(self, method: str, url: str, *, offered_as: str | None = None, **kwargs: Any) -> requests.Response:
        """One HTTP exchange; errors become CliFailures. `offered_as` names an endpoint older servers lack."""
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.exceptions.ConnectionError as error:
            raise Unreachable(self.base_url, _connection_reason(error)) from None
        except requests.exceptions.Timeout:
            raise Unreachable(self.base_url, f"no answer within {self.timeout:g} s") from None
        if response.status_code < 400:
            return response
        is_problem = response.headers.get("content-type", "").startswith(PROBLEM_TYPE)
        if offered_as and response.status_code in (404, 405) and not is_problem:
            raise NotOffered(offered_as, f"{method} {url}")
        raise Refused(
            response.status_code,
            _json(response) if is_problem else {},
            response.text.strip()[:500],
            response.reason or "",
            _seconds(response.headers.get("Retry-After")),
        )

    def post_once(self, url: str, attempts: int = RETRIES + 1, **kwargs: Any) -> requests.Response:
        """A POST that creates something, sent with one Idempotency-Key and retried with the same key
        when the API could not answer (no connection, 429, 502-504, after its Retry-After): the API
        stores it once however many attempts reach it (issue 30)."""
        headers = {**kwargs.pop("headers", {}), IDEMPOTENCY_KEY: str(uuid.uuid4())}
        for attempt in range(1, attempts + 1):
            try:
                return self.request("POST", url, headers=headers, **kwargs)
            except (Unreachable, Refused) as error:
                status = error.status if isinstance(error, Refused) else None
                if attempt == attempts or (status is not None and status not in RETRIED_STATUSES):
                    raise
                time.sleep(min(MAX_RETRY_WAIT_SECONDS, error.retry_after if isinstance(error, Refused) else 1.0 * attempt))
        raise AssertionError("unreachable")  # the loop returns or raises

    def call(self, method: str, url: str, **kwargs: Any) -> Any:
        """A request whose answer is a JSON document."""
        response = self.request(method, url, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise CliFailure(f"{method} {url} did not answer with JSON: is {self.base_url} a Flyte API?") from None

    def get_json(self, url: str, **kwargs: Any) -> Any:
        return self.call("GET", url, **kwargs)

    def get_list(self, url: str, key: str) -> dict[str, Any]:
        """A collection's whole listing: the API pages long lists by size and links the rest as
        `next`, so every page is read and the entries joined (the links kept are the first page's,
        without `next`)."""
        body = self.get_json(url)
        entries = list(body.get(key, []))
        following = find_link(body.get("links", []), "next")
        while following:
            page = self.get_json(following)
            entries += page.get(key, [])
            following = find_link(page.get("links", []), "next")
        return {**body, key: entries, "links": [entry for entry in body.get("links", []) if entry.get("rel") != "next"]}

    # --- discovery -------------------------------------------------------------------------------

    def links(self) -> list[dict[str, str]]:
        if self._links is None:
            entry = f"{self.base_url}/v1"
            try:
                self._links = self.get_json(entry).get("links", [])
            except Refused as refused:
                if refused.status != 404:
                    raise
                raise CliFailure(f"{entry} is not there (404): is {self.base_url} a Flyte API?") from None
        return self._links

    def link(self, *operations: str) -> str | None:
        """The `/v1` link whose rel names one of the operations (`.../swagger#!/flow/listFlows`)."""
        return find_link(self.links(), *operations)

    def resource(self, operation: str, what: str) -> str:
        href = self.link(operation)
        if href is None:
            raise CliFailure(f"{self.base_url}/v1 has no link to {what} (a rel ending in '/{operation}'): is this a Flyte API?")
        return href

    def packs(self) -> str:
        return self.resource("listPacks", "packs")

    def flows(self) -> str:
        return self.resource("listFlows", "flows")

    def datastore(self) -> str:
        return self.resource("listDatastoreItems", "the datastore")

    def audit_flows(self) -> str:
        return self.resource("findFlows", "the flow audit")

    def flow_test(self) -> str:
        return self.link("testFlow", "testFlows") or f"{self.flows()}/test"

    def flow_replay(self) -> str:
        return self.link("replayFlow", "replayFlows") or f"{self.flows()}/replay"

    def revocations(self) -> str:
        return self.link("listRevocations") or f"{self.base_url}/v1/tokens/revocations"

    def audit_events(self) -> str:
        return self.link("findEvents", "listEvents") or f"{parent(self.audit_flows())}/events"


def find_link(links: list[dict[str, Any]], *operations: str) -> str | None:
    for candidate in links:
        rel = str(candidate.get("rel", ""))
        if any(rel.endswith("/" + operation) or rel == operation for operation in operations):
            return candidate.get("href")
    return None


def item(collection: str, identifier: str) -> str:
    """An item's URL: its collection's plus the id as one path segment."""
    return f"{collection.rstrip('/')}/{quote(identifier, safe='')}"


def parent(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[0]


def last_segment(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        return 1.0


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _connection_reason(error: Exception) -> str:
    text = str(error)
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    if "Name or service not known" in text or "Failed to resolve" in text or "nodename nor servname" in text:
        return "unknown host"
    return text.split(":", 1)[-1].strip()[:200] or "no connection"
