"""HTTP clients that talk to the local stack the way packs and users do."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
import requests


@dataclass
class TakenAction:
    command: str
    input: Any
    result_url: str


class PackClient:
    """A pack speaking the wire protocol like flyte-client: links only, no hand-built URLs."""

    def __init__(
        self, api_url: str, name: str, labels: dict[str, str] | None = None, commands: list[dict[str, Any]] | None = None
    ) -> None:
        self.session = requests.Session()
        self.api_url = api_url
        self.name, self.labels = name, labels or {}
        self.commands = commands or []
        self.events_url = self.take_url = ""
        self.id = ""

    def register(self) -> PackClient:
        links = self.session.get(f"{self.api_url}/v1", headers={"Accept": "application/json"}).json()["links"]
        packs_url = next(link["href"] for link in links if link["rel"].endswith("pack/listPacks"))
        response = self.session.post(packs_url, json={"name": self.name, "labels": self.labels, "commands": self.commands})
        assert response.status_code == 201, response.text
        pack = response.json()
        self.id = pack["id"]
        self.events_url = next(link["href"] for link in pack["links"] if link["rel"].endswith("event"))
        self.take_url = next(link["href"] for link in pack["links"] if link["rel"].endswith("takeAction"))
        return self

    def send_event(self, name: str, payload: Any = None) -> None:
        response = self.session.post(self.events_url, json={"event": name, "payload": payload})
        assert response.status_code == 202, response.text

    def take(self, wait: int = 5, **params: str) -> TakenAction | None:
        response = self.session.post(self.take_url, params={"wait": wait, **params}, json=None)
        if response.status_code == 204:
            return None
        assert response.status_code == 200, response.text
        body = response.json()
        result = next(link["href"] for link in body["links"] if link["rel"].endswith("actionResult"))
        return TakenAction(body["command"], body["input"], result)

    def take_until(self, timeout: float = 60.0, **params: str) -> TakenAction:  # a deadline: a loaded machine takes longer
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            taken = self.take(wait=max(1, min(5, int(deadline - time.monotonic()))), **params)
            if taken:
                return taken
        raise AssertionError(f"pack {self.id} got no action within {timeout} s")

    def post_result(self, taken: TakenAction, event: str, payload: Any = None) -> requests.Response:
        return self.session.post(taken.result_url, json={"event": event, "payload": payload})


@pytest.fixture
def make_pack(stack):
    def make(name: str, labels: dict[str, str] | None = None, commands=None) -> PackClient:
        return PackClient(stack.url, name, labels, commands).register()

    return make


@pytest.fixture
def api(stack):
    session = requests.Session()
    session.base = stack.url
    return session


@pytest.fixture
def post_flow(stack):
    def post(flow: dict[str, Any]) -> None:
        response = requests.post(f"{stack.url}/v1/flows", json=flow)
        assert response.status_code == 201, response.text

    return post
