"""Explainability over HTTP on the local stack: dry runs, event traces, replays and upload warnings.

The claims: a dry run and a replay change nothing (no action, no queue message, no audit entry); a
trace says what the pipeline did for the same event; a replay lists exactly the changed outcomes."""

import time

import pytest

pytestmark = pytest.mark.e2e


def deploy_flow(name, pattern="^deploy ", chat="Chat", shell="Shell"):
    """Each test names its own packs, so that no other test's flows or actions get in the way."""
    return {
        "name": name,
        "steps": [
            {
                "id": "run",
                "event": {"packName": chat, "name": "Said"},
                "context": {"room": "{{ Event.Payload.room }}"},
                "criteria": f"{{{{ Event.Payload.text|match:'{pattern}' }}}}",
                "command": {"packName": shell, "name": "Shell", "input": "{{ Event.Payload.text }}"},
            },
            {
                "id": "reply",
                "dependsOn": ["run"],
                "event": {"packName": shell, "name": "Output"},
                "command": {
                    "packName": chat,
                    "name": "Send",
                    "input": {"room": "{{ Context.room }}", "message": "{{ Event.Payload.stdout }}"},
                },
            },
        ],
    }


def chat_event(text, room="ops", chat="Chat"):
    return {"packName": chat, "event": "Said", "payload": {"text": text, "room": room}}


def send(pack, name, payload):
    response = pack.session.post(pack.events_url, json={"event": name, "payload": payload})
    assert response.status_code == 202, response.text
    return response.headers["Location"]


def processed(api, location, timeout=10.0):
    """The event's trace, once the step matcher has written it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        trace = api.get(location).json()
        if trace["status"] == "processed":
            return trace
        time.sleep(0.05)
    raise AssertionError(f"{location} still pending after {timeout} s")


def events_listed(api, **params):
    response = api.get(api.base + "/v1/audit/events", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return response.json()["events"]


def executions(api, flow_name):
    return api.get(api.base + "/v1/audit/flows", params={"flowName": flow_name}).json()["flows"]


# --- dry runs --------------------------------------------------------------------------------------


def test_a_dry_run_answers_every_steps_outcome_and_leaves_no_trace(api, make_pack):
    shell = make_pack("Shell", commands=[{"name": "Shell", "events": ["Output"]}])
    events_before = events_listed(api)
    response = api.post(api.base + "/v1/flows/test", json={"flow": deploy_flow("dry"), "event": chat_event("deploy web")})
    assert response.status_code == 200, response.text
    run, reply = response.json()["steps"]
    assert response.json()["flow"] == "dry"
    assert run == {
        "id": "run",
        "outcome": "fired",
        "reason": None,
        "detail": None,
        "context": {"room": "ops"},
        "command": {"packName": "Shell", "name": "Shell", "packLabels": {}, "input": "deploy web"},
    }
    assert (reply["outcome"], reply["reason"]) == ("skipped", "event")

    assert shell.take(wait=1) is None  # nothing queued
    assert executions(api, "dry") == [] and events_listed(api) == events_before  # no action, no audit entry
    assert api.get(api.base + "/v1/flows/dry").status_code == 404  # nothing stored


def test_a_dry_run_continues_an_execution_given_its_states_and_context(api):
    body = {
        "flow": deploy_flow("dry2"),
        "event": {"packName": "Shell", "event": "Output", "payload": {"stdout": "ok"}},
        "states": {"run": "SUCCESS"},
        "context": {"room": "dev"},
    }
    run, reply = api.post(api.base + "/v1/flows/test", json=body).json()["steps"]
    assert run["reason"] == "event"
    assert reply["command"]["input"] == {"room": "dev", "message": "ok"}
    body["states"] = {"run": "PENDING"}
    assert api.post(api.base + "/v1/flows/test", json=body).json()["steps"][1]["reason"] == "dependsOn"


def test_a_bad_flow_answers_the_dry_run_exactly_as_posting_it(api):
    flow = deploy_flow("bad")
    flow["steps"][1]["dependsOn"] = ["ghost"]
    posted = api.post(api.base + "/v1/flows", json=flow)
    tested = api.post(api.base + "/v1/flows/test", json={"flow": flow, "event": chat_event("x")})
    assert tested.status_code == posted.status_code == 400
    assert tested.json() == posted.json() and tested.headers["content-type"] == "application/problem+json"
    bad_state = api.post(
        api.base + "/v1/flows/test", json={"flow": deploy_flow("ok"), "event": chat_event("x"), "states": {"run": "DONE"}}
    )
    assert bad_state.status_code == 400 and bad_state.json()["field"] == "states.run"
    no_event = api.post(api.base + "/v1/flows/test", json={"flow": deploy_flow("ok")})
    assert no_event.status_code == 400 and no_event.json()["field"] == "event"


def test_a_stored_flow_is_tested_by_name_and_yaml_works_too(api, post_flow):
    assert api.post(api.base + "/v1/flows/nosuch/test", json={"event": chat_event("deploy x")}).status_code == 404
    post_flow(deploy_flow("stored"))
    yaml_body = "event:\n  packName: Chat\n  event: Said\n  payload: {text: 'hello', room: r}\n"
    response = api.post(api.base + "/v1/flows/stored/test", data=yaml_body, headers={"content-type": "application/x-yaml"})
    assert response.status_code == 200, response.text
    run = response.json()["steps"][0]
    assert run["reason"] == "criteria" and run["detail"].startswith("criteria rendered 'False'")


# --- traces ------------------------------------------------------------------------------------------


def test_the_trace_of_each_event_says_what_the_pipeline_did(api, make_pack, post_flow):
    post_flow(deploy_flow("traced", chat="TChat", shell="TShell"))
    chat = make_pack("TChat", commands=[{"name": "Send", "events": ["Sent"]}])
    shell = make_pack("TShell", commands=[{"name": "Shell", "events": ["Output"]}])

    location = send(chat, "Said", {"text": "deploy api", "room": "ops"})
    assert location.startswith(api.base + "/v1/audit/events/")
    trace = processed(api, location)
    (flow,) = [f for f in trace["flows"] if f["name"] == "traced"]
    run = {s["id"]: s for s in flow["steps"]}["run"]
    taken = shell.take_until()
    assert run["outcome"] == "fired" and run["command"]["input"] == taken.input == "deploy api"
    (execution,) = executions(api, "traced")
    assert flow["correlationId"] == execution["correlationId"]
    assert flow["links"][0]["href"].endswith(f"/v1/audit/flows/{execution['correlationId']}")
    assert trace["pack"] == {"id": chat.id, "name": "TChat", "labels": {}} and trace["firedSteps"] >= 1

    # the same event as a dry run: the same outcomes (the same code decides)
    dry = api.post(api.base + "/v1/flows/traced/test", json={"event": chat_event("deploy api", chat="TChat")}).json()
    assert dry["steps"] == flow["steps"]

    result = shell.post_result(taken, "Output", {"stdout": "done"})
    assert result.status_code == 202
    continued = processed(api, result.headers["Location"])
    (again,) = [f for f in continued["flows"] if f["correlationId"] == execution["correlationId"]]
    steps = {s["id"]: s for s in again["steps"]}
    assert steps["run"]["reason"] == "event" and steps["reply"]["outcome"] == "fired"
    assert chat.take_until().input == steps["reply"]["command"]["input"] == {"room": "ops", "message": "done"}


def test_why_didnt_it_fire_the_trace_names_the_criteria(api, make_pack, post_flow):
    post_flow(deploy_flow("whynot", chat="WChat", shell="WShell"))
    chat = make_pack("WChat")
    trace = processed(api, send(chat, "Said", {"text": "please deploy", "room": "ops"}))
    (flow,) = [f for f in trace["flows"] if f["name"] == "whynot"]
    run = flow["steps"][0]
    assert (run["outcome"], run["reason"]) == ("skipped", "criteria")
    assert "'False'" in run["detail"] and "^deploy " in run["detail"]
    assert executions(api, "whynot") == [] and flow["links"] == []
    nothing = processed(api, send(chat, "Unheard", {}))
    assert nothing["flows"] == [] and nothing["firedSteps"] == 0


def test_events_are_listed_newest_first_with_their_fired_steps_and_paged(api, make_pack):
    lister = make_pack("Lister")
    locations = [send(lister, "Ping", {"n": n}) for n in range(3)]
    for location in locations:
        processed(api, location)
    listed = events_listed(api, packName="Lister")
    assert [e["links"][0]["href"] for e in listed] == locations[::-1]
    assert all(e["status"] == "processed" and e["firedSteps"] == 0 and e["event"] == "Ping" for e in listed)
    second = events_listed(api, packName="Lister", start=1, limit=1)
    assert [e["id"] for e in second] == [listed[1]["id"]]
    assert events_listed(api, packName="Lister", event="Other") == []
    assert [e["id"] for e in events_listed(api, event="Ping") if e["pack"]["name"] == "Lister"] == [e["id"] for e in listed]
    assert api.get(api.base + "/v1/audit/events", params={"limit": 1001}).status_code == 400
    assert api.get(api.base + "/v1/audit/events/nosuchevent").status_code == 404


# --- replay ------------------------------------------------------------------------------------------


def test_a_replay_reports_exactly_the_changed_outcomes_and_leaves_no_trace(api, make_pack, post_flow):
    post_flow(deploy_flow("replayed", chat="RChat", shell="RShell"))
    sender = make_pack("RChat", {"team": "replay"})
    shell = make_pack("RShell", commands=[{"name": "Shell", "events": ["Output"]}])
    texts = ["deploy a", "ship b", "deploy c", "ship d", "hello"]
    ids = {}
    for text in texts:
        ids[text] = processed(api, send(sender, "Said", {"text": text, "room": "r"}))["id"]
    while shell.take(wait=1):
        pass  # the two deploys' actions
    actions_before = executions(api, "replayed")
    events_before = events_listed(api)

    candidate = deploy_flow("replayed", pattern="^(deploy|ship) ", chat="RChat", shell="RShell")
    response = api.post(api.base + "/v1/flows/replay", json={"flow": candidate, "since": "PT1H"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert sorted(c["eventId"] for c in answer["changes"]) == sorted([ids["ship b"], ids["ship d"]])
    assert all(
        c["stepId"] == "run" and c["before"]["reason"] == "criteria" and c["after"]["outcome"] == "fired"
        for c in answer["changes"]
    )
    assert (answer["eventsConsidered"], answer["unchanged"]) == (len(texts), len(texts) - 2)

    assert shell.take(wait=1) is None
    assert executions(api, "replayed") == actions_before and events_listed(api) == events_before
    assert api.get(api.base + "/v1/flows/replayed").json()["steps"][0]["criteria"] == "{{ Event.Payload.text|match:'^deploy ' }}"


def test_a_replay_of_a_new_flow_compares_with_nothing_and_checks_its_input(api):
    fresh = deploy_flow("brandnew", pattern="deploy", chat="WChat")  # the events of the "why not" test
    answer = api.post(api.base + "/v1/flows/replay", json={"flow": fresh, "since": "2000-01-01T00:00:00Z", "limit": 1000}).json()
    (change,) = answer["changes"]
    assert change["before"] is None and change["after"]["command"]["input"] == "please deploy"
    assert answer["eventsConsidered"] == 1 and answer["unchanged"] == 0
    for body, field in [
        ({"flow": fresh, "limit": 1001}, "limit"),
        ({"flow": fresh, "since": "yesterday"}, "since"),
        ({"flow": {"name": "x", "steps": [{"id": "a"}]}}, "steps[0]"),
    ]:
        refused = api.post(api.base + "/v1/flows/replay", json=body)
        assert refused.status_code == 400 and refused.json()["field"] == field, refused.text


# --- upload warnings ---------------------------------------------------------------------------------


def test_posting_a_flow_warns_about_what_no_registered_pack_offers(api, make_pack):
    flow = {
        "name": "warned",
        "steps": [
            {"id": "a", "event": {"packName": "Ghost", "name": "Boo"}, "command": {"packName": "Shell", "name": "Shell"}},
            {"id": "b", "event": {"packName": "Shell", "name": "Outptu"}, "command": {"packName": "Shell", "name": "Run"}},
        ],
    }
    make_pack("Shell", commands=[{"name": "Shell", "events": ["Output"]}])
    response = api.post(api.base + "/v1/flows", json=flow)
    assert response.status_code == 201
    assert response.headers["Location"] == api.base + "/v1/flows/warned"
    assert [(w["stepId"], w["field"]) for w in response.json()["warnings"]] == [
        ("a", "steps[0].event.packName"),
        ("b", "steps[1].event.name"),
        ("b", "steps[1].command.name"),
    ]
    assert "'Output'" in response.json()["warnings"][1]["detail"]
    fine = {
        "name": "fine",
        "steps": [
            {"id": "a", "event": {"packName": "Shell", "name": "FATAL"}, "command": {"packName": "Shell", "name": "Shell"}}
        ],
    }
    assert api.post(api.base + "/v1/flows", json=fine).json() == {"warnings": []}
