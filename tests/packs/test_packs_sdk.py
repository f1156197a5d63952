"""The pack SDK against a fake Flyte API speaking the pack protocol over real HTTP."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

import pytest

from flyte_pack import Command, Event, EventDef, Pack, PackNotRegisteredError


def echo_pack(api, fast, **kwargs) -> Pack:
    kwargs.setdefault("commands", [Command("Echo", handler=lambda i: Event("Echoed", i), output_events=["Echoed"])])
    env = kwargs.pop("env", {"FLYTE_API": api.url})
    return Pack("Echo", help_url="http://help.example/echo", env=env, **{**fast, **kwargs})


def test_urls_come_from_links_only_even_under_a_path_prefix(fake_api, run_pack, fast):
    pack = run_pack(echo_pack(fake_api, fast))
    action = fake_api.enqueue("Echo", {"n": 1})
    assert fake_api.result_of(action)["event"] == "Echoed"

    paths = {(r.method, r.path) for r in fake_api.requests}
    assert ("GET", "/some/prefix/v1") in paths
    assert ("POST", "/some/prefix/v1/registry-of-packs") in paths
    assert ("POST", "/some/prefix/queues/Echo/next-action") in paths
    assert ("POST", f"/some/prefix/outcomes/Echo/{action}") in paths
    assert fake_api.unmatched == []  # never a hand-built path
    assert pack.pack_id == "Echo"


def test_action_result_goes_to_the_actions_own_link(fake_api, run_pack, fast):
    seen = []

    def handler(input):
        seen.append(input)
        return Event("Echoed", {"got": input})

    run_pack(echo_pack(fake_api, fast, commands=[Command("Echo", handler, ["Echoed"])]))
    first = fake_api.enqueue("Echo", {"message": "hi"})
    second = fake_api.enqueue("Echo", "plain string")

    result = fake_api.result_of(first)
    assert result["event"] == "Echoed"
    assert result["payload"] == {"got": {"message": "hi"}}
    assert datetime.fromisoformat(result["createdAt"]).tzinfo is not None
    assert fake_api.result_of(second)["payload"] == {"got": "plain string"}
    assert seen == [{"message": "hi"}, "plain string"]  # handlers get decoded JSON
    assert fake_api.actions[first].state == fake_api.actions[second].state == "SUCCESS"


def test_a_result_rejected_by_a_transient_error_is_posted_again(fake_api_factory, run_pack, fast, caplog):
    api = fake_api_factory(result_failures=2)
    caplog.set_level(logging.WARNING, "flyte_pack")
    run_pack(echo_pack(api, fast))
    action = api.enqueue("Echo", "kept")
    assert api.result_of(action)["payload"] == "kept"
    assert caplog.text.count("503 Service Unavailable: try again") == 2
    # the three attempts are one logical post: one Idempotency-Key, so the API records it once
    keys = [r.headers.get("idempotency-key") for r in api.requests if r.path.startswith(f"{api.prefix}/outcomes/")]
    assert len(keys) == 3 and len(set(keys)) == 1 and keys[0]


def test_an_event_rejected_by_a_transient_error_is_sent_again_with_the_same_idempotency_key(fake_api_factory, run_pack, fast):
    api = fake_api_factory(event_failures=2)
    pack = run_pack(echo_pack(api, fast, commands=[], events=["Tick"]))
    pack.send_event(Event("Tick", 1))
    pack.send_event(Event("Tick", 2))
    assert [body["payload"] for _, body in api.events] == [1, 2]
    posts = [r for r in api.requests if r.path.startswith(f"{api.prefix}/inbox/")]
    keys = [r.headers.get("idempotency-key") for r in posts]
    assert [r.body["payload"] for r in posts] == [1, 1, 1, 2]
    assert len(set(keys[:3])) == 1 and keys[3] not in keys[:3]  # one key per event, kept across its retries


def test_registration_sends_the_pack_definition_and_labels(fake_api, run_pack, fast):
    pack = echo_pack(
        fake_api, fast, env={"FLYTE_API": fake_api.url, "FLYTE_LABELS": "env=prod, team=sre"}, events=[EventDef("Noticed")]
    )
    run_pack(pack)
    assert pack.pack_id == "Echo.env.prod.team.sre"
    assert fake_api.registrations == [
        {
            "name": "Echo",
            "labels": {"env": "prod", "team": "sre"},
            "events": [{"name": "Echoed"}, {"name": "Noticed"}],
            "commands": [{"name": "Echo", "events": ["Echoed"]}],
            "links": [{"href": "http://help.example/echo", "rel": "help"}],
        }
    ]


def test_registration_is_retried_until_the_api_is_up(fake_api_factory, run_pack, fast, caplog):
    api = fake_api_factory(start=False)  # port bound, not listening: connection refused
    caplog.set_level(logging.WARNING, "flyte_pack")
    pack = run_pack(echo_pack(api, fast), wait_registered=False)
    time.sleep(0.5)
    assert not pack.wait_registered(0)
    assert "cannot register pack 'Echo'" in caplog.text

    api.start()
    assert pack.wait_registered(10)
    action = api.enqueue("Echo", 1)
    assert api.result_of(action)["payload"] == 1


def test_api_errors_are_logged_with_their_problem_detail_and_retried(fake_api_factory, run_pack, fast, caplog):
    api = fake_api_factory(
        register_failures=[(503, {"title": "Service Unavailable", "detail": "tables are still being created"})]
    )
    caplog.set_level(logging.WARNING, "flyte_pack")
    run_pack(echo_pack(api, fast))
    assert "503" in caplog.text and "tables are still being created" in caplog.text
    assert len(api.registrations) == 2  # one rejected, one accepted


def test_handler_exception_becomes_fatal_with_its_message(fake_api, run_pack, fast):
    def handler(input):
        if input == "bad":
            raise ValueError("disk is full")
        return Event("Echoed", input)

    run_pack(echo_pack(fake_api, fast, commands=[Command("Echo", handler, ["Echoed"])]))
    bad = fake_api.enqueue("Echo", "bad")
    assert fake_api.result_of(bad) | {"createdAt": None} == {"event": "FATAL", "payload": "disk is full", "createdAt": None}
    assert fake_api.actions[bad].state == "FATAL"
    good = fake_api.enqueue("Echo", "good")  # the pack goes on
    assert fake_api.result_of(good)["event"] == "Echoed"


def test_unknown_command_becomes_fatal(fake_api, run_pack, fast):
    run_pack(echo_pack(fake_api, fast))
    action = fake_api.enqueue("Reboot", {})
    result = fake_api.result_of(action)
    assert result["event"] == "FATAL"
    assert "no handler could be found for command 'Reboot'" in result["payload"]


@pytest.mark.parametrize(
    "returned, expected",
    [
        (None, "returned NoneType, not an Event"),
        (Event("Echoed", {"when": object()}), "not JSON-serialisable"),
    ],
)
def test_a_handler_returning_something_unusable_becomes_fatal(fake_api, run_pack, fast, returned, expected):
    run_pack(echo_pack(fake_api, fast, commands=[Command("Echo", lambda i: returned, ["Echoed"])]))
    result = fake_api.result_of(fake_api.enqueue("Echo", 1))
    assert result["event"] == "FATAL" and expected in result["payload"]


def test_handlers_run_concurrently_within_the_bound(fake_api, run_pack, fast):
    lock = threading.Lock()
    running = 0
    peak = 0

    def slow(input):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.3)
        with lock:
            running -= 1
        return Event("Echoed", input)

    run_pack(echo_pack(fake_api, fast, concurrency=2, commands=[Command("Echo", slow, ["Echoed"])]))
    ids = [fake_api.enqueue("Echo", n) for n in range(5)]
    assert [fake_api.result_of(i)["payload"] for i in ids] == list(range(5))
    assert peak == 2
    # it never claimed more actions than it could run (the rest stayed available to others)
    assert fake_api.max_outstanding == 2


def test_stop_finishes_the_action_in_flight_and_takes_no_more(fake_api, run_pack, fast):
    started, release = threading.Event(), threading.Event()

    def blocking(input):
        started.set()
        release.wait(10)
        return Event("Echoed", input)

    pack = run_pack(echo_pack(fake_api, fast, commands=[Command("Echo", blocking, ["Echoed"])]))
    first = fake_api.enqueue("Echo", "in flight")
    assert started.wait(5)

    stopped = []
    stopper = threading.Thread(target=lambda: stopped.append(pack.stop(timeout=10)))
    stopper.start()
    time.sleep(1.5)  # longer than the long-poll wait: polling has ended by now
    later = fake_api.enqueue("Echo", "too late")
    time.sleep(0.5)
    assert pack.running and not stopped  # still waiting for the action in flight
    release.set()
    stopper.join(10)

    assert stopped == [True] and not pack.running
    assert fake_api.result_of(first)["payload"] == "in flight"
    assert fake_api.actions[later].state == "NEW"  # never taken after the stop


def test_jwt_is_sent_as_a_bearer_token_on_every_request(fake_api_factory, run_pack, fast):
    api = fake_api_factory(jwt="s3cr3t")
    pack = run_pack(echo_pack(api, fast, env={"FLYTE_API": api.url, "FLYTE_JWT": "s3cr3t"}))
    action = api.enqueue("Echo", 1)
    assert api.result_of(action)["event"] == "Echoed"
    pack.send_event(Event("Echoed", "spontaneous"))
    methods = {r.method for r in api.requests}
    assert methods == {"GET", "POST"}
    assert all(r.headers.get("authorization") == "Bearer s3cr3t" for r in api.requests)


def test_unknown_pack_on_take_makes_the_pack_register_again(fake_api, run_pack, fast, caplog):
    caplog.set_level(logging.WARNING, "flyte_pack")
    pack = run_pack(echo_pack(fake_api, fast))
    fake_api.forget_pack(pack.pack_id)  # e.g. removed as dead by the server
    assert fake_api.wait_for(lambda: len(fake_api.registrations) == 2)
    assert "registering it again" in caplog.text
    action = fake_api.enqueue("Echo", "after re-registration")
    assert fake_api.result_of(action)["payload"] == "after re-registration"


def test_send_event_posts_a_spontaneous_event(fake_api, run_pack, fast):
    pack = run_pack(echo_pack(fake_api, fast, events=[EventDef("ReceivedMessage")]))
    pack.send_event(Event("ReceivedMessage", {"message": "flyte uk-bank-holidays"}))
    assert len(fake_api.events) == 1
    pack_id, body = fake_api.events[0]
    assert pack_id == "Echo"
    assert body["event"] == "ReceivedMessage"
    assert body["payload"] == {"message": "flyte uk-bank-holidays"}
    assert body["createdAt"].endswith("Z")
    with pytest.raises(TypeError):
        pack.send_event(Event("ReceivedMessage", {"bad": {1, 2}}))


def test_send_event_after_the_pack_was_forgotten_registers_again(fake_api, run_pack, fast):
    pack = run_pack(echo_pack(fake_api, fast, commands=[], events=["Tick"]))
    fake_api.forget_pack(pack.pack_id)
    pack.send_event(Event("Tick", 1))
    assert [body["payload"] for _, body in fake_api.events] == [1]
    assert len(fake_api.registrations) == 2


def test_an_idle_pack_stops_at_once_without_waiting_out_its_ready_poll(fake_api_factory, fast):
    """Ctrl-C on an idle pack took up to the ready poll's 20 s: a ready poll claims nothing, so a stop
    no longer waits for it. An action queued before the stop is still taken and run."""
    api = fake_api_factory(ready=True)
    del fast["poll_wait"]  # the default: ready polls of 20 s
    pack = echo_pack(api, fast)
    pack.start(block=False)
    assert pack.wait_registered(10)
    assert api.result_of(api.enqueue("Echo", "before the stop"))["event"] == "Echoed"
    assert api.wait_for(lambda: api.parked_ready_polls == 1)

    started = time.monotonic()
    assert pack.stop(timeout=5), "the stop waited for the ready poll"
    assert time.monotonic() - started < 2
    assert not pack.running
    assert api.take_waits == [1]  # the one take, after ready saw the action: none after the stop


def test_send_event_before_registration_fails_clearly(fake_api_factory, fast):
    api = fake_api_factory(start=False)
    pack = echo_pack(api, fast)
    pack.start(block=False)
    try:
        with pytest.raises(PackNotRegisteredError):
            pack.send_event(Event("Echoed", 1), timeout=0.3)
    finally:
        assert pack.stop(timeout=5)


def test_take_asks_the_server_to_long_poll_below_the_http_timeout(fake_api, run_pack, fast):
    del fast["poll_wait"], fast["timeout"]
    run_pack(echo_pack(fake_api, fast, poll_wait=None, timeout=None, env={"FLYTE_API": fake_api.url, "FLYTE_API_TIMEOUT": "3"}))
    assert fake_api.wait_for(lambda: fake_api.take_waits)
    assert fake_api.take_waits[0] == 1  # half of the 3 s timeout
    assert all(r.headers.get("content-type") == "application/json" for r in fake_api.requests if r.method == "POST")


def test_a_pack_runs_in_a_with_block(fake_api, fast):
    with echo_pack(fake_api, fast) as pack:
        assert pack.wait_registered(10)
        assert fake_api.result_of(fake_api.enqueue("Echo", 7))["payload"] == 7
    assert not pack.running
