"""`flyte export` and `flyte import` against the local stack, as a user runs them: a backup restored
into a fresh stack, imported twice, cut short, or holding what the API refuses."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
import yaml

from .conftest import run_flyte

pytestmark = pytest.mark.e2e

DEPLOY = {
    "name": "deploy",
    "steps": [
        {
            "id": "ask",
            "event": {"packName": "Slack", "name": "ReceivedMessage"},
            "criteria": "{{ Event.Payload.message|match:'^deploy' }}",
            "command": {"packName": "Shell", "name": "Shell", "input": "echo deploying"},
        }
    ],
}
NOTIFY = {
    "name": "notify",
    "description": "tells the channel",
    "steps": [
        {
            "id": "tell",
            "event": {"packName": "Slack", "name": "ReceivedMessage"},
            "command": {"packName": "Slack", "name": "SendMessage", "input": {"channelId": "C1", "message": "seen"}},
        }
    ],
}
ITEMS = {  # key: (value, content type, description)
    "teams": (json.dumps({"teama": {"room": "C1"}}).encode(), "application/json", "who is where"),
    "motd": ("Grüße, <all> & \u2603\n".encode(), "text/plain; charset=utf-8", None),
    "blob": (bytes(range(256)) * 3, "application/octet-stream", "every byte"),
}


@pytest.fixture(scope="module")
def flyte(stack):
    return lambda *args, **kwargs: run_flyte(stack.url, *args, **kwargs)


def post_flow(stack, flow: dict) -> None:
    response = requests.post(f"{stack.url}/v1/flows", json=flow, timeout=10)
    assert response.status_code == 201, response.text


def put_item(stack, key: str, value: bytes, content_type: str, description: str | None) -> None:
    form = {"value": ("value", value, content_type), **({"description": (None, description)} if description else {})}
    assert requests.put(f"{stack.url}/v1/datastore/{key}", files=form, timeout=10).status_code in (201, 204)


def populate(stack) -> None:
    """Three versions of one flow, another flow, a flow deleted since, three kinds of items, an execution."""
    for number in (1, 2, 3):
        post_flow(stack, {**DEPLOY, "description": f"version {number}"})
    post_flow(stack, NOTIFY)
    post_flow(stack, {**NOTIFY, "name": "gone"})
    assert requests.delete(f"{stack.url}/v1/flows/gone", timeout=10).status_code == 204
    for key, (value, content_type, description) in ITEMS.items():
        put_item(stack, key, value, content_type, description)
    pack = {
        "name": "Slack",
        "commands": [{"name": "SendMessage", "events": ["MessageSent"]}],
        "events": [{"name": "ReceivedMessage"}],
    }
    assert requests.post(f"{stack.url}/v1/packs", json=pack, timeout=10).status_code == 201
    event = {"event": "ReceivedMessage", "payload": {"message": "deploy now", "notes": "n" * 10_000}}  # cut in audit lists
    assert requests.post(f"{stack.url}/v1/packs/Slack/events", json=event, timeout=10).status_code == 202
    wait_for(lambda: len(executions(stack)) == 2)


def executions(stack) -> list[dict]:
    return requests.get(f"{stack.url}/v1/audit/flows", timeout=10).json()["flows"]


def wait_for(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def state(stack) -> dict:
    """What a user sees of flows and the datastore: each flow's versions, each item's bytes and type."""
    flows = {}
    for entry in requests.get(f"{stack.url}/v1/flows", timeout=10).json()["flows"]:
        versions = requests.get(f"{stack.url}/v1/flows/{entry['name']}/versions", timeout=10).json()["versions"]
        flows[entry["name"]] = [(version["flow"], version["current"]) for version in versions]
    items = {}
    for entry in requests.get(f"{stack.url}/v1/datastore", timeout=10).json()["datastore"]:
        got = requests.get(f"{stack.url}/v1/datastore/{entry['key']}", timeout=10)
        items[entry["key"]] = (got.content, got.headers["content-type"], entry.get("description"))
    return {"flows": flows, "items": items}


def test_a_backup_restores_into_a_fresh_stack_and_importing_it_again_changes_nothing(flyte, stack, tmp_path):
    stack.reset()
    populate(stack)
    before = state(stack)
    assert [description for flow, _ in before["flows"]["deploy"] for description in [flow["description"]]] == [
        "version 1",
        "version 2",
        "version 3",
    ]
    backup = tmp_path / "backup.jsonl"

    exported = flyte("export", str(backup), "--audit")
    assert exported.code == 0, exported.stderr
    assert exported.stdout.strip() == (
        f"Exported 2 flows (4 versions), 3 datastore items and 2 executions from {stack.url} to {backup}"
    )
    assert "flow deploy: 3 versions (1/2)" in exported.stderr
    lines = [json.loads(line) for line in backup.read_text(encoding="utf-8").splitlines()]
    header, end = lines[0], lines[-1]
    assert header["kind"] == "header" and header["format"] == "flyte-export" and header["formatVersion"] == 1
    assert header["source"] == stack.url and header["audit"] is True and header["exportedAt"].endswith("Z")
    assert end == {"kind": "end", "counts": {"flows": 2, "flowVersions": 4, "datastoreItems": 3, "executions": 2}}
    assert not Path(f"{backup}.partial").exists()
    audited = [line["execution"] for line in lines if line["kind"] == "execution"]
    assert sorted(execution["name"] for execution in audited) == ["deploy", "notify"]
    for execution in audited:  # whole, although the audit's list cuts payloads this large
        (action,) = execution["actions"].values()
        assert action["trigger"]["payload"]["notes"] == "n" * 10_000

    stack.reset()  # a fresh stack: no flows, no items
    assert state(stack) == {"flows": {}, "items": {}}
    imported = flyte("import", str(backup))
    assert imported.code == 0, imported.stderr
    assert imported.stdout.strip() == (
        f"Imported into {stack.url}: 2 flows (4 versions), 3 datastore items created and 0 replaced; "
        "skipped as unchanged: 0 flows and 0 datastore items."
    )
    assert "flow deploy: 3 versions written" in imported.stderr
    assert "The file's 2 executions (the audit) stay in the file" in imported.stderr
    assert state(stack) == before  # every version in order, the current one last, every byte and type

    again = flyte("import", "-", input=backup.read_text(encoding="utf-8"))  # from stdin this time
    assert again.code == 0, again.stderr
    assert (
        "0 flows (0 versions), 0 datastore items created and 0 replaced; skipped as unchanged: 2 flows and 3 datastore items"
        in again.stdout
    )
    for name in ("flow deploy", "flow notify", "datastore teams", "datastore motd", "datastore blob"):
        assert f"{name}: unchanged, skipped" in again.stderr
    assert state(stack) == before


def test_an_import_over_changed_data_writes_only_what_differs(flyte, stack, tmp_path):
    stack.reset()
    populate(stack)
    backup = tmp_path / "backup.jsonl"
    assert flyte("export", str(backup)).code == 0
    before = state(stack)
    post_flow(stack, {**DEPLOY, "description": "edited since"})
    put_item(stack, "teams", b'{"teama": {"room": "C9"}}', "application/json", "who is where")

    imported = flyte("import", str(backup))
    assert imported.code == 0, imported.stderr
    assert "1 flow (1 version), 0 datastore items created and 1 replaced" in imported.stdout
    assert "skipped as unchanged: 1 flow and 2 datastore items" in imported.stdout
    after = state(stack)
    assert after["items"] == before["items"]
    assert [flow["description"] for flow, _ in after["flows"]["deploy"]] == [
        "version 1",
        "version 2",
        "version 3",
        "edited since",
        "version 3",
    ]


@pytest.fixture(scope="module")
def populated_export(flyte, stack, tmp_path_factory) -> str:
    """The export of a populated stack, made once for the damages below (each a copy of it)."""
    stack.reset()
    populate(stack)
    backup = tmp_path_factory.mktemp("export") / "backup.jsonl"
    assert flyte("export", str(backup)).code == 0
    return backup.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda text: text[: len(text) * 2 // 3], "is cut off (no end of line"),
        (lambda text: "".join(text.splitlines(keepends=True)[:-1]), "without its end line"),
        (
            lambda text: "".join(line for line in text.splitlines(keepends=True) if '"key":"motd"' not in line),
            "its end line counts",
        ),
        (lambda text: text.replace('"formatVersion":1', '"formatVersion":2', 1), "format version 2"),
        (lambda text: '{"flows": []}\n' + text, "first line is not the header"),
        (lambda text: "", "the file is empty"),
    ],
)
def test_a_damaged_export_is_refused_whole_and_nothing_is_written(flyte, stack, tmp_path, populated_export, damage, reason):
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text(damage(populated_export), encoding="utf-8")
    stack.reset()

    refused = flyte("import", str(damaged))
    assert refused.code == 1
    assert f"{damaged} is not a complete Flyte export" in refused.stderr and reason in refused.stderr, refused.stderr
    assert "Nothing was imported." in refused.stderr
    assert state(stack) == {"flows": {}, "items": {}}


def hand_made(path: Path, flows: list[dict], items: list[tuple[str, bytes, str]]) -> None:
    import base64

    lines = [
        {"kind": "header", "format": "flyte-export", "formatVersion": 1, "source": "hand", "exportedAt": "x", "audit": False}
    ]
    lines += [{"kind": "flow", "name": flow["name"], "versions": [{"flow": flow}]} for flow in flows]
    lines += [
        {"kind": "datastoreItem", "key": key, "contentType": kind, "value": base64.b64encode(value).decode()}
        for key, value, kind in items
    ]
    counts = {"flows": len(flows), "flowVersions": len(flows), "datastoreItems": len(items), "executions": 0}
    lines.append({"kind": "end", "counts": counts})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def test_what_the_api_refuses_stops_the_import_before_anything_is_written_unless_skipped(flyte, stack, tmp_path):
    stack.reset()
    broken = {**DEPLOY, "name": "broken", "steps": [{**DEPLOY["steps"][0], "dependsOn": ["ghost"]}]}
    export = tmp_path / "mixed.jsonl"
    hand_made(
        export,
        [NOTIFY, broken, {**NOTIFY, "name": "ops/notify"}],
        [
            ("fine", b"ok", "text/plain"),
            ("big", b"x" * 400_000, "text/plain"),
            ("a/b", b"slash", "text/plain"),
            ("empty", b"", "text/plain"),
        ],
    )

    stopped = flyte("import", str(export))
    assert stopped.code == 1
    assert (
        "refused: flow broken: dependsOn names step 'ghost', which is not in this flow. (field steps[0].dependsOn[0], stepId ask)"
        in stopped.stderr
    )
    assert (
        "refused: flow ops/notify: name must not contain '/' or control characters (it is the flow's URL path). (field name)"
        in stopped.stderr
    )
    assert "refused: datastore item big: the value has 400000 bytes; this API holds at most 350000 per item" in stopped.stderr
    assert "refused: datastore item a/b: this API takes no key that is blank, '.', '..' or holds '/'" in stopped.stderr
    assert "refused: datastore item empty: the value is empty" in stopped.stderr
    assert "refuses 2 flows and 3 datastore items (above), so nothing was imported" in stopped.stderr
    assert "flyte flows test -f FLOW.yaml --event EVENT.json" in stopped.stderr
    assert state(stack) == {"flows": {}, "items": {}}

    checked = flyte("import", str(export), "--dry-run")
    assert checked.code == 1 and "nothing written: would write 1 flow (1 version) and 1 datastore item" in checked.stdout
    assert state(stack) == {"flows": {}, "items": {}}

    saved = tmp_path / "refused"
    rest = flyte("import", str(export), "--skip-refused", "--save-refused", str(saved))
    assert rest.code == 1, rest.stderr
    assert "1 flow (1 version), 1 datastore item created" in rest.stdout
    assert "refused, not imported: 2 flows and 3 datastore items" in rest.stdout
    assert yaml.safe_load((saved / "broken.yaml").read_text(encoding="utf-8")) == broken
    after = state(stack)
    assert list(after["flows"]) == ["notify"] and list(after["items"]) == ["fine"]


def test_a_dry_run_reports_what_it_would_write_and_writes_nothing(flyte, stack, tmp_path):
    stack.reset()
    export = tmp_path / "small.jsonl"
    hand_made(export, [NOTIFY], [("fine", b"ok", "text/plain")])
    checked = flyte("import", str(export), "--dry-run")
    assert checked.code == 0, checked.stderr
    assert "flow notify: would write 1 version" in checked.stderr
    assert "datastore fine: would create (text/plain, 2 bytes)" in checked.stderr
    assert state(stack) == {"flows": {}, "items": {}}


def test_export_to_stdout_and_usage_errors(flyte, stack):
    stack.reset()
    post_flow(stack, NOTIFY)
    piped = flyte("export", "-")
    assert piped.code == 0, piped.stderr
    lines = piped.stdout.splitlines()
    assert json.loads(lines[0])["kind"] == "header" and json.loads(lines[-1])["counts"]["flows"] == 1
    assert "Exported 1 flow (1 version), 0 datastore items from" in piped.stderr

    both = flyte("import", "x.jsonl", "--from", "http://original")
    assert both.code == 2 and "give either FILE" in both.stderr
    missing = flyte("import", "no-such-file.jsonl")
    assert missing.code == 1 and "Cannot read no-such-file.jsonl" in missing.stderr
