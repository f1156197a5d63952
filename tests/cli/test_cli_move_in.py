"""`flyte import --from URL`: moving in from the original Go server through its own API, against its
recorded answers (tests/fixtures/original-api: Go's escapes, raw hrefs, names with spaces, an
unsorted datastore, empty bodies) and against a second local stack standing in for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import yaml

from flyte_local.stack import LocalStack

from .conftest import run_flyte
from .fake_original import FIXTURES, FakeOriginal
from .test_cli_backup import state

pytestmark = pytest.mark.e2e
QUICK_START = Path(__file__).resolve().parents[2] / "examples" / "uk-bank-holidays.flow.yaml"


@pytest.fixture(scope="module")
def flyte(stack):
    return lambda *args, **kwargs: run_flyte(stack.url, *args, **kwargs)


@pytest.fixture
def original():
    server = FakeOriginal().start()
    yield server
    server.stop()


def original_flow(name: str) -> dict:
    """The flow as the original serves it, without its links: what must arrive here."""
    flow = json.loads((FIXTURES / f"flow-{name.replace(' ', '-')}.json").read_text(encoding="utf-8"))
    flow.pop("links")
    return flow


def test_refusals_of_the_original_flows_are_reported_with_the_reason_and_nothing_is_written(flyte, stack, original, tmp_path):
    stack.reset()
    moved = flyte("import", "--from", original.url, "--save-refused", str(tmp_path / "refused"))
    assert moved.code == 1
    assert (
        "refused: flow ghost-steps: dependsOn names step 'ask', which is not in this flow. "
        "(field steps[0].dependsOn[0], stepId reply)" in moved.stderr
    ), moved.stderr
    assert "refused: datastore item blank: the value is empty; this API stores no empty items" in moved.stderr
    assert f"flow vanished is listed by {original.url} but not there (404): not imported" in moved.stderr
    assert "so nothing was imported" in moved.stderr and "flyte flows test -f FLOW.yaml --event EVENT.json" in moved.stderr
    saved = yaml.safe_load((tmp_path / "refused" / "ghost-steps.yaml").read_text(encoding="utf-8"))
    assert saved == original_flow("ghost-steps")  # to fix, then check with `flyte flows test -f` and apply
    assert state(stack) == {"flows": {}, "items": {}}
    assert all(request.startswith("GET ") for request in original.requests)  # the original is only read


def test_what_the_original_holds_comes_across_as_it_was_and_a_second_run_changes_nothing(flyte, stack, original):
    stack.reset()
    moved = flyte("import", "--from", original.url, "--skip-refused")
    assert moved.code == 1, moved.stderr  # something was refused: said by the exit code too
    assert "Imported into" in moved.stdout and "2 flows (2 versions), 3 datastore items created and 0 replaced" in moved.stdout
    assert "refused, not imported: 1 flow and 1 datastore item" in moved.stdout

    for name in ("next_uk_bank_holidays", "deploy app"):
        here = requests.get(f"{stack.url}/v1/flows/{name}", timeout=10).json()
        here.pop("links")
        assert here.pop("createdBy") == {"sub": "anonymous"}  # who imported it: nobody, on an open stack
        expected = original_flow(name)
        if name == "deploy app":
            expected["steps"][0]["id"] = ""  # the original's step without an id has the id "" here too
            expected["steps"][0]["command"]["input"] = None  # command.input is always there
        assert here == expected
    quick = yaml.safe_load(QUICK_START.read_text(encoding="utf-8"))
    assert (
        original_flow("next_uk_bank_holidays")["steps"][1]["command"]["input"]["message"]
        == quick["steps"][1]["command"]["input"]["message"]
    )

    items = state(stack)["items"]
    assert items == {
        "team rooms": ((FIXTURES / "item-team-rooms.txt").read_bytes(), "text/plain; charset=us-ascii", None),
        "teams": ((FIXTURES / "item-teams.json").read_bytes(), "application/json", "teams & their rooms"),
        "logo": ((FIXTURES / "item-logo.png").read_bytes(), "image/png", "the bot's avatar"),
    }
    rendered = requests.post(
        f"{stack.url}/v1/flows/test",
        json={
            "flow": {
                "name": "uses-teams",
                "steps": [
                    {
                        "id": "a",
                        "event": {"packName": "P", "name": "E"},
                        "command": {"packName": "P", "name": "C", "input": "{{ datastore('teams').teama.email }}"},
                    }
                ],
            },
            "event": {"packName": "P", "event": "E", "payload": {}},
        },
        timeout=10,
    ).json()
    assert rendered["steps"][0]["command"]["input"] == "teama@example.com"  # the JSON item reads as JSON here too

    again = flyte("import", "--from", original.url, "--skip-refused")
    assert (
        "0 flows (0 versions), 0 datastore items created and 0 replaced; skipped as unchanged: 2 flows and 3 datastore items"
        in again.stdout
    )
    assert state(stack)["items"] == items
    versions = requests.get(f"{stack.url}/v1/flows/next_uk_bank_holidays/versions", timeout=10).json()["versions"]
    assert len(versions) == 1


@pytest.fixture(scope="module")
def second_stack():
    """Another local stack, with a moto of its own (separate tables), standing in for the original."""
    other = LocalStack(port=0, parameter_overrides={"LogLevel": "WARNING"}).start()
    yield other
    other.stop()


def test_moving_in_from_another_running_stack_reads_it_through_its_api(flyte, stack, second_stack):
    stack.reset()
    source = second_stack.url
    flow = {
        "name": "relay",
        "steps": [{"id": "a", "event": {"packName": "P", "name": "E"}, "command": {"packName": "Q", "name": "C", "input": None}}],
    }
    for description in ("first", "second"):
        assert requests.post(f"{source}/v1/flows", json={**flow, "description": description}, timeout=10).status_code == 201
    value = bytes(range(255, -1, -1))
    form = {"value": ("value", value, "application/octet-stream"), "description": (None, "raw")}
    assert requests.put(f"{source}/v1/datastore/bytes", files=form, timeout=10).status_code == 201

    moved = flyte("import", "--from", source)
    assert moved.code == 0, moved.stderr
    assert "1 flow (1 version), 1 datastore item created" in moved.stdout
    assert state(stack) == {
        "flows": {
            "relay": [({**flow, "description": "second", "createdBy": {"sub": "anonymous"}}, True)]
        },  # only the current version
        "items": {"bytes": (value, "application/octet-stream", "raw")},
    }
    assert requests.get(f"{source}/v1/flows/relay/versions", timeout=10).json()["versions"][0]["flow"]["description"] == "first"
    again = flyte("import", "--from", source)
    assert again.code == 0 and "skipped as unchanged: 1 flow and 1 datastore item" in again.stdout
