"""Leases: an action taken and not completed is offered again, then ends FATAL (local stack with a
2-second lease and 2 attempts, set through the template's parameters)."""

import time

import pytest

from flyte_local.stack import LocalStack

pytestmark = pytest.mark.e2e
LEASE = 2


@pytest.fixture(scope="module")
def stack(backend):
    backend.reset()
    local = LocalStack(
        port=0,
        endpoint=backend.endpoint,
        parameter_overrides={"ActionLeaseSeconds": str(LEASE), "ActionMaxAttempts": "2", "LogLevel": "WARNING"},
    ).start()
    yield local
    local.stop()


def take_timed(pack, timeout: float = 60):
    """The first action offered, and when the take that got it was asked (its lease began after)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        asked = time.monotonic()
        taken = pack.take(wait=1)
        if taken:
            return taken, asked
    raise AssertionError(f"pack {pack.id} got no action within {timeout} s")


def test_an_abandoned_action_is_offered_again_then_ends_fatal_and_continues_the_flow(api, make_pack, post_flow):
    post_flow(
        {
            "name": "lease",
            "steps": [
                {
                    "id": "work",
                    "event": {"packName": "Src", "name": "Go"},
                    "command": {"packName": "Flaky", "name": "Work", "input": "x"},
                },
                {
                    "id": "alert",
                    "dependsOn": ["work"],
                    "event": {"packName": "Flaky", "name": "FATAL"},
                    "command": {"packName": "Src", "name": "Alert", "input": "{{ Event.Payload }}"},
                },
            ],
        }
    )
    src, flaky = make_pack("Src"), make_pack("Flaky")
    src.send_event("Go", {})
    first, asked = take_timed(flaky)
    second = flaky.take_until(timeout=LEASE + 60)  # the lease ran out: offered again
    # held under the lease: offered again only once it ran out (it began after `asked`; whole seconds)
    assert time.monotonic() - asked >= LEASE - 1
    assert second.result_url == first.result_url
    assert flaky.take(wait=LEASE + 3) is None  # after the last attempt's lease: FATAL, nothing to take
    alert = src.take_until()
    assert alert.command == "Alert" and "No result after 2 attempt(s)" in alert.input

    (execution,) = api.get(api.base + "/v1/audit/flows", params={"flowName": "lease"}).json()["flows"]
    work = execution["actions"]["work"]
    assert [s["value"] for s in work["states"]] == ["NEW", "PENDING", "PENDING", "FATAL"]
    assert work["attempts"] == 2
    assert flaky.post_result(first, "Done").status_code == 409  # too late


def test_a_late_result_within_a_later_attempt_is_accepted_once(make_pack, post_flow):
    post_flow(
        {
            "name": "late-result",
            "steps": [
                {"id": "work", "event": {"packName": "Src", "name": "Late"}, "command": {"packName": "Slow", "name": "Work"}}
            ],
        }
    )
    src, slow = make_pack("Src"), make_pack("Slow")
    src.send_event("Late", {})
    first = slow.take_until()
    again, asked = take_timed(slow, timeout=LEASE + 60)
    late = slow.post_result(first, "Done")
    if late.status_code == 409:  # only when the second attempt's lease ran out too (a loaded machine) and the action ended
        assert time.monotonic() - asked >= LEASE - 1, late.text
        return
    assert late.status_code == 202, late.text  # any matching instance may complete it
    assert slow.post_result(again, "Done").status_code == 409


def test_a_push_pack_that_answers_202_and_never_posts_is_delivered_again_then_the_action_ends_fatal(api, make_pack, post_flow):
    """Push delivery (issue 20) on the same state machine: the 202's lease runs out, the action is
    delivered again as attempt 2, and after that lease it ends FATAL with the lease's reason."""
    import requests

    from tests.push_pack import FakePushPack, Reply

    push = FakePushPack()
    try:
        push.script(Reply(202), Reply(202))
        post_flow(
            {
                "name": "push-lease",
                "steps": [
                    {
                        "id": "work",
                        "event": {"packName": "PushSrc", "name": "Push"},
                        "command": {"packName": "Pushed", "name": "Work"},
                    },
                    {
                        "id": "alert",
                        "dependsOn": ["work"],
                        "event": {"packName": "Pushed", "name": "FATAL"},
                        "command": {"packName": "PushSrc", "name": "Alert", "input": "{{ Event.Payload }}"},
                    },
                ],
            }
        )
        registered = requests.post(api.base + "/v1/packs", json={"name": "Pushed", "delivery": {"url": push.url}})
        assert registered.status_code == 201, registered.text
        src = make_pack("PushSrc")
        src.send_event("Push", {})
        first, second = push.wait_for(2, timeout=LEASE + 60)
        assert second.at - first.at >= LEASE - 0.5 and second.headers["X-Flyte-Attempt"] == "2"
        alert = src.take_until(timeout=LEASE + 60)
        assert alert.command == "Alert" and "No result after 2 attempt(s)" in alert.input
        assert requests.post(first.result_url, json={"event": "Done"}).status_code == 409  # too late
        assert len(push.deliveries) == 2
    finally:
        push.close()
