"""The sample events in events/ (for `sam local invoke -e`) drive the real handlers (moto)."""

import base64
import json


def test_info_v1_sample_lists_the_links(invoke_handler, sample_event):
    response = invoke_handler("InfoFunction", sample_event("info-get-v1.json"))
    assert response["statusCode"] == 200
    rels = [link["rel"] for link in json.loads(response["body"])["links"]]
    assert "http://localhost:3000/swagger#!/pack/listPacks" in rels


def test_packs_register_sample_registers_the_shell_pack(invoke_handler, sample_event):
    response = invoke_handler("PacksFunction", sample_event("packs-register.json"))
    assert response["statusCode"] == 201
    assert response["headers"]["Location"] == "http://localhost:3000/v1/packs/Shell.env.dev"
    assert json.loads(response["body"])["commands"][0]["name"] == "Shell"


def test_flows_post_sample_stores_the_quick_start_flow(invoke_handler, sample_event):
    response = invoke_handler("FlowsFunction", sample_event("flows-post-yaml.json"))
    assert response["statusCode"] == 201
    assert response["headers"]["Location"] == "http://localhost:3000/v1/flows/next_uk_bank_holidays"


def test_datastore_put_sample_stores_a_json_item(invoke_handler, sample_event):
    event = sample_event("datastore-put.json")
    assert invoke_handler("DatastoreFunction", event)["statusCode"] == 201
    assert invoke_handler("DatastoreFunction", event)["statusCode"] == 204
    get = dict(event, routeKey="GET /v1/datastore/{key}", body=None, isBase64Encoded=False)
    get["requestContext"] = dict(event["requestContext"], http=dict(event["requestContext"]["http"], method="GET"))
    response = invoke_handler("DatastoreFunction", get)
    assert response["headers"]["Content-Type"] == "application/json"
    value = base64.b64decode(response["body"]) if response["isBase64Encoded"] else response["body"].encode()
    assert json.loads(value)["teama"]["email"] == "teama@example.com"


def test_pipeline_samples_run_the_quick_start_first_step(invoke_handler, sample_event):
    """Register Slack and Shell, post the flow, then: event -> stream batch -> take -> audit -> reaper."""
    invoke_handler("FlowsFunction", sample_event("flows-post-yaml.json"))
    for name in ("Slack", "Shell"):
        register = sample_event("packs-register.json")
        register["body"] = json.dumps({"name": name})
        assert invoke_handler("PacksFunction", register)["statusCode"] == 201

    assert invoke_handler("PackRuntimeFunction", sample_event("pack-runtime-post-event.json"))["statusCode"] == 202
    matched = invoke_handler("StepMatcherFunction", sample_event("step-matcher-stream-batch.json"))
    assert matched == {"batchItemFailures": []}

    taken = invoke_handler("PackRuntimeFunction", sample_event("pack-runtime-take.json"))
    assert taken["statusCode"] == 200
    action = json.loads(taken["body"])
    assert action["command"] == "Shell" and action["input"].startswith("curl -s https://www.gov.uk/")

    found = json.loads(invoke_handler("AuditFunction", sample_event("audit-find-flows.json"))["body"])
    (execution,) = found["flows"]
    assert execution["actions"]["receive_uk_bank_holiday_message_send_response"]["state"]["value"] == "PENDING"

    report = invoke_handler("PackReaperFunction", sample_event("pack-reaper-schedule.json"))
    assert report == {"deadPacksRemoved": [], "actionsExpired": []}
