"""The execution pipeline over HTTP on the local stack: event -> action -> take -> result -> next step."""

import threading
import time
from collections import Counter

import pytest
import requests

pytestmark = pytest.mark.e2e


def two_step_flow(name, message="done: {{ Event.Payload.stdout }}", second_on="Output"):
    return {
        "name": name,
        "steps": [
            {
                "id": "run",
                "event": {"packName": "Chat", "name": "Said"},
                "context": {"room": "{{ Event.Payload.room }}"},
                "criteria": f"{{{{ Event.Payload.text|match:'^{name} ' }}}}",
                "command": {
                    "packName": "Shell",
                    "name": "Shell",
                    "input": "{{ Event.Payload.text|slice:'" + str(len(name) + 1) + ":' }}",
                },
            },
            {
                "id": "reply",
                "dependsOn": ["run"],
                "event": {"packName": "Shell", "name": second_on},
                "command": {"packName": "Chat", "name": "Send", "input": {"room": "{{ Context.room }}", "message": message}},
            },
        ],
    }


def audit(api, **params):
    response = api.get(api.base + "/v1/audit/flows", params=params)
    assert response.status_code == 200, response.text
    return response.json()["flows"]


def test_a_two_step_flow_runs_from_event_to_reply(api, make_pack, post_flow):
    post_flow(two_step_flow("twostep"))
    chat, shell = make_pack("Chat"), make_pack("Shell")
    chat.send_event("Said", {"text": "twostep echo hi", "room": "ops"})
    run = shell.take_until()
    assert (run.command, run.input) == ("Shell", "echo hi")
    assert shell.post_result(run, "Output", {"stdout": "hi\n", "exit_code": 0}).status_code == 202
    reply = chat.take_until()
    assert (reply.command, reply.input) == ("Send", {"room": "ops", "message": "done: hi\n"})
    assert chat.post_result(reply, "Sent", {}).status_code == 202

    (execution,) = audit(api, flowName="twostep")
    assert {step: a["state"]["value"] for step, a in execution["actions"].items()} == {"run": "SUCCESS", "reply": "SUCCESS"}
    assert [s["value"] for s in execution["actions"]["run"]["states"]] == ["NEW", "PENDING", "SUCCESS"]
    assert execution["actions"]["reply"]["trigger"]["event"] == "Output"
    one = api.get(execution["links"][0]["href"]).json()
    assert one["correlationId"] == execution["correlationId"] and one["name"] == "twostep"


def test_a_fatal_result_continues_the_flow_through_depends_on(api, make_pack, post_flow):
    post_flow(two_step_flow("fatalflow", message="failed: {{ Event.Payload }}", second_on="FATAL"))
    chat, shell = make_pack("Chat"), make_pack("Shell")
    chat.send_event("Said", {"text": "fatalflow false", "room": "r"})
    run = shell.take_until()
    assert shell.post_result(run, "FATAL", "exit status 1").status_code == 202
    assert chat.take_until().input == {"room": "r", "message": "failed: exit status 1"}
    (execution,) = audit(api, flowName="fatalflow")
    assert execution["actions"]["run"]["state"]["value"] == "FATAL"


def test_depends_on_steps_ignore_the_same_event_outside_their_execution(api, make_pack, post_flow):
    post_flow(two_step_flow("unrelated"))
    chat, shell = make_pack("Chat"), make_pack("Shell")
    shell.send_event("Output", {"stdout": "spontaneous"})
    assert chat.take(wait=1) is None
    assert audit(api, flowName="unrelated") == []


def test_labels_route_actions_both_ways(api, make_pack, post_flow):
    post_flow(
        {
            "name": "routing",
            "steps": [
                {
                    "id": "deploy",
                    "event": {"packName": "Chat", "name": "Said", "packLabels": {"env": "staging"}},
                    "context": {"env": "{{ Event.Pack.Labels.env }}"},
                    "command": {
                        "packName": "Deployer",
                        "name": "Deploy",
                        "packLabels": {"env": "{{ Context.env }}"},
                        "input": "app",
                    },
                }
            ],
        }
    )
    prod, staging = make_pack("Deployer", {"env": "prod"}), make_pack("Deployer", {"env": "staging", "dc": "1"})
    make_pack("Chat", {"env": "prod"}).send_event("Said", {})  # event labels do not match the step
    make_pack("Chat", {"env": "staging"}).send_event("Said", {})
    taken = staging.take_until()
    assert taken.input == "app"
    assert prod.take(wait=1) is None
    action_id = taken.result_url.rstrip("/").split("/")[-2]
    as_prod = prod.take_url.replace("/actions/take", f"/actions/{action_id}/result")
    refused = requests.post(as_prod, json={"event": "Deployed"})  # a pack whose labels do not match may not complete it
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert staging.post_result(taken, "Deployed").status_code == 202
    assert staging.post_result(taken, "Deployed").status_code == 409


def test_a_flow_replaced_mid_execution_finishes_on_its_old_version(api, make_pack, post_flow):
    post_flow(two_step_flow("replaced", message="old"))
    chat, shell = make_pack("Chat"), make_pack("Shell")
    chat.send_event("Said", {"text": "replaced go", "room": "r"})
    run = shell.take_until()
    post_flow(two_step_flow("replaced", message="new"))
    shell.post_result(run, "Output", {"stdout": ""})
    assert chat.take_until().input["message"] == "old"
    chat.send_event("Said", {"text": "replaced again", "room": "r"})  # new executions use the new version
    shell.post_result(shell.take_until(), "Output", {"stdout": ""})
    assert chat.take_until().input["message"] == "new"


def test_a_flow_written_for_the_original_with_a_step_without_id_runs_as_written(api, make_pack, post_flow):
    post_flow(
        {
            "name": "noid",
            "steps": [
                {
                    "event": {"packName": "Chat", "name": "Said"},
                    "command": {"packName": "Shell", "name": "Shell", "input": "uptime"},
                },
                {
                    "id": "reply",
                    "dependsOn": [""],
                    "event": {"packName": "Shell", "name": "Output"},
                    "command": {"packName": "Chat", "name": "Send", "input": "{{ Event.Payload.stdout }}"},
                },
            ],
        }
    )
    assert api.get(api.base + "/v1/flows/noid").json()["steps"][0]["id"] == ""
    chat, shell = make_pack("Chat"), make_pack("Shell")
    chat.send_event("Said", {})
    run = shell.take_until()
    (execution,) = audit(api, flowName="noid")
    pending = execution["actions"][""]
    assert (pending["stepId"], pending["state"]["value"]) == ("", "PENDING")
    assert "result" not in pending  # nothing to show until it ends (the original showed a zero event)
    assert shell.post_result(run, "Output", {"stdout": "up 1 day"}).status_code == 202
    assert chat.take_until().input == "up 1 day"
    (execution,) = audit(api, flowName="noid")
    done = execution["actions"][""]
    assert (done["state"]["value"], done["result"]["event"], done["result"]["payload"]) == (
        "SUCCESS",
        "Output",
        {"stdout": "up 1 day"},
    )
    assert execution["actions"]["reply"]["state"]["value"] == "PENDING"


def test_ten_packs_racing_take_a_hundred_actions_each_exactly_once(stack, make_pack, post_flow):
    post_flow(
        {
            "name": "race",
            "steps": [
                {
                    "id": "work",
                    "event": {"packName": "Source", "name": "Job"},
                    "command": {"packName": "Worker", "name": "Work", "input": "{{ Event.Payload.n }}"},
                }
            ],
        }
    )
    source = make_pack("Source")
    workers = [make_pack("Worker", {"instance": str(i)}) if i % 2 else make_pack("Worker") for i in range(10)]
    for n in range(100):
        source.send_event("Job", {"n": n})
    taken: list[tuple[int, int]] = []
    refused: list[str] = []  # results the API did not accept; asserted here, an assert in a thread would be lost
    lock = threading.Lock()

    deadline = time.monotonic() + 300  # a deadline, not a wait: a loaded machine only takes longer
    all_taken = threading.Event()

    def work(index, worker):
        while not all_taken.is_set() and time.monotonic() < deadline:
            action = worker.take(wait=1)
            if action is None:
                continue
            response = worker.post_result(action, "Done", {})
            with lock:
                if response.status_code != 202:
                    refused.append(f"{action.input}: {response.status_code} {response.text}")
                taken.append((int(action.input), index))
                if len(taken) >= 100:
                    all_taken.set()
        action = worker.take(wait=2)  # one more long poll after the last one: a duplicate would be offered now
        if action is not None:
            with lock:
                taken.append((int(action.input), index))

    threads = [threading.Thread(target=work, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == []
    counts = Counter(n for n, _ in taken)
    assert sorted(counts) == list(range(100))
    assert set(counts.values()) == {1}
    assert len({worker for _, worker in taken}) > 1  # the work was shared among the instances


def test_a_posted_event_for_an_unknown_pack_is_404_and_a_bad_body_400(api, make_pack):
    assert api.post(api.base + "/v1/packs/Nobody/events", json={"event": "E"}).status_code == 404
    pack = make_pack("Chat")
    assert requests.post(pack.events_url, data="{").status_code == 400
    assert requests.post(pack.events_url, json={"event": "E", "createdAt": "yesterday"}).status_code == 400
    assert requests.post(pack.take_url, params={"wait": 99}).status_code == 400
    assert requests.post(f"{pack.take_url.rsplit('/take', 1)[0]}/nope/result", json={"event": "E"}).status_code == 404


def test_a_pack_object_in_the_body_does_not_change_the_sender(api, make_pack, post_flow):
    post_flow(
        {
            "name": "identity",
            "steps": [{"id": "s", "event": {"packName": "Admin", "name": "Go"}, "command": {"packName": "Target", "name": "Do"}}],
        }
    )
    target, chat = make_pack("Target"), make_pack("Chat")
    response = requests.post(chat.events_url, json={"event": "Go", "pack": {"name": "Admin", "id": "Admin"}})
    assert response.status_code == 202
    assert target.take(wait=1) is None


def test_take_filters_by_command_name_with_either_parameter(make_pack, post_flow):
    post_flow(
        {
            "name": "filters",
            "steps": [
                {"id": "a", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Multi", "name": "First"}},
                {"id": "b", "event": {"packName": "Src", "name": "E"}, "command": {"packName": "Multi", "name": "Second"}},
            ],
        }
    )
    multi = make_pack("Multi", commands=[{"name": "First"}, {"name": "Second"}])
    make_pack("Src").send_event("E", {})
    second = multi.take_until(timeout=30, commandName="Second")
    assert second.command == "Second"
    first = multi.take_until(timeout=30, actionName="First")
    assert first.command == "First"


def test_a_pack_registering_late_receives_the_actions_waiting_for_it(make_pack, post_flow):
    post_flow(
        {
            "name": "late",
            "steps": [
                {
                    "id": "s",
                    "event": {"packName": "Src", "name": "E"},
                    "command": {"packName": "Latecomer", "name": "Do", "input": "waited"},
                }
            ],
        }
    )
    make_pack("Src").send_event("E", {})
    time.sleep(0.5)  # the action exists before any Latecomer does
    assert make_pack("Latecomer").take_until().input == "waited"


def test_audit_filters_and_paging(api, make_pack, post_flow):
    post_flow(
        {
            "name": "audited",
            "steps": [
                {
                    "id": "s",
                    "event": {"packName": "Src2", "name": "E"},
                    "command": {"packName": "Aud", "name": "Do", "packLabels": {"k": "v"}},
                }
            ],
        }
    )
    src, aud = make_pack("Src2"), make_pack("Aud", {"k": "v"})
    for _ in range(3):
        src.send_event("E", {})
    for _ in range(3):
        aud.post_result(aud.take_until(), "Done")
    executions = audit(api, flowName="audited")
    assert len(executions) == 3
    assert len(audit(api, flowName="audited", start=1, limit=1)) == 1
    assert len(audit(api, actionPackName="Aud", actionPackLabels="k:v")) == 3
    assert audit(api, actionPackName="Aud", actionPackLabels="k:other") == []
    assert audit(api, stepId="nope") == []
    empty_filters = {"flowName": "", "stepId": "", "actionName": "", "actionPackName": "", "actionPackLabels": ""}
    assert audit(api, **empty_filters) == audit(api)  # an empty filter filters nothing (was a 500)
    assert api.get(api.base + "/v1/audit/flows", params={"limit": 0}).status_code == 400
    assert api.get(api.base + "/v1/audit/flows/000000000000000000000000").status_code == 404


def test_a_step_whose_template_fails_is_skipped_and_shown_in_the_audit(api, make_pack, post_flow):
    post_flow(
        {
            "name": "brokenstep",
            "steps": [
                {
                    "id": "bad",
                    "event": {"packName": "Src3", "name": "E"},
                    "command": {"packName": "Dst3", "name": "Do", "input": "{{ unmarshalJson(Event.Payload.text).x }}"},
                },
                {"id": "good", "event": {"packName": "Src3", "name": "E"}, "command": {"packName": "Dst3", "name": "Other"}},
            ],
        }
    )
    src, dst = make_pack("Src3"), make_pack("Dst3")
    src.send_event("E", {"text": "not json"})
    assert dst.take_until().command == "Other"  # the other step still ran
    (execution,) = audit(api, flowName="brokenstep")
    (failure,) = execution["stepFailures"]
    assert failure["stepId"] == "bad" and failure["field"] == "command.input"
    assert failure["trigger"]["event"] == "E"


def test_taking_for_an_unknown_pack_is_404(api):
    response = api.post(api.base + "/v1/packs/Ghost/actions/take", params={"wait": 0})
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"


def test_the_daily_schedule_runs_the_reaper(stack):
    assert stack.fire_schedule("PackReaperFunction") == {"deadPacksRemoved": [], "actionsExpired": []}
