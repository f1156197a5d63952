"""Idempotent posts over HTTP (issue 30): `Idempotency-Key` on an event or a result makes a repeat
answer the first answer (202, the same Location) and create nothing; the same key with another body
is 422; a key of one pack never answers another; without the header nothing changes."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e


def post(url: str, body: dict, key: str | None = None) -> requests.Response:
    return requests.post(url, json=body, headers={"Idempotency-Key": key} if key else {})


def executions(stack, flow: str) -> list[dict]:
    return requests.get(f"{stack.url}/v1/audit/flows", params={"flowName": flow}, headers={"Accept": "application/json"}).json()[
        "flows"
    ]


def test_a_repeated_event_answers_the_first_answer_and_starts_one_execution(stack, make_pack, post_flow):
    post_flow(
        {
            "name": "idem-events",
            "steps": [
                {"id": "a", "event": {"packName": "IdemSrc", "name": "E"}, "command": {"packName": "IdemDst", "name": "Do"}}
            ],
        }
    )
    source, destination = make_pack("IdemSrc"), make_pack("IdemDst")
    first = post(source.events_url, {"event": "E", "payload": {"n": 1}}, "key-1")
    again = post(source.events_url, {"event": "E", "payload": {"n": 1}}, "key-1")
    assert first.status_code == again.status_code == 202
    assert again.headers["Location"] == first.headers["Location"]

    reused = post(source.events_url, {"event": "E", "payload": {"n": 2}}, "key-1")
    assert reused.status_code == 422 and reused.headers["Content-Type"] == "application/problem+json"
    assert reused.json()["field"] == "Idempotency-Key" and "another event" in reused.json()["detail"]

    other_pack = post(destination.events_url, {"event": "E", "payload": {"n": 1}}, "key-1")
    assert other_pack.status_code == 202 and other_pack.headers["Location"] != first.headers["Location"]
    plain = [post(source.events_url, {"event": "E", "payload": {"n": 1}}) for _ in range(2)]
    assert len({p.headers["Location"] for p in plain} | {first.headers["Location"]}) == 3

    taken = [destination.take_until(timeout=15) for _ in range(3)]  # the keyed event's, and the two plain ones'
    assert len(taken) == 3 and destination.take(wait=1) is None  # and no fourth


def test_a_repeated_result_answers_the_first_answer_and_is_recorded_once(stack, make_pack, post_flow):
    post_flow(
        {
            "name": "idem-results",
            "steps": [
                {"id": "a", "event": {"packName": "IdemA", "name": "E"}, "command": {"packName": "IdemB", "name": "Do"}},
                {
                    "id": "b",
                    "dependsOn": ["a"],
                    "event": {"packName": "IdemB", "name": "Done"},
                    "command": {"packName": "IdemB", "name": "Next"},
                },
            ],
        }
    )
    source, worker = make_pack("IdemA"), make_pack("IdemB")
    source.send_event("E")
    action = worker.take_until(timeout=15)
    first = post(action.result_url, {"event": "Done", "payload": 1}, "r-1")
    again = post(action.result_url, {"event": "Done", "payload": 1}, "r-1")
    assert first.status_code == again.status_code == 202 and again.headers["Location"] == first.headers["Location"]
    assert post(action.result_url, {"event": "Done", "payload": 2}, "r-1").status_code == 422
    assert post(action.result_url, {"event": "Done", "payload": 1}, "r-2").status_code == 409  # another key: a second result
    assert post(action.result_url, {"event": "Done", "payload": 1}).status_code == 409
    assert worker.take_until(timeout=15).command == "Next"
    assert worker.take(wait=1) is None  # one next action, however many repeats


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"])
def test_a_key_that_cannot_be_one_is_refused(stack, make_pack, key):
    pack = make_pack("IdemBad")
    response = requests.post(pack.events_url, json={"event": "E"}, headers={"Idempotency-Key": key.encode("utf-8")})
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["field"]
