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

    # issue 21: the ready poll's authorizer hands API Gateway Shell's queue (the sample `sam local invoke` takes)
    authorized = invoke_handler("ReadyAuthorizerFunction", sample_event("ready-authorizer.json"))
    assert authorized["isAuthorized"] is True and "_flytepack_Shell" in authorized["context"]["queueUrl"]

    taken = invoke_handler("TakeFunction", sample_event("take.json"))
    assert taken["statusCode"] == 200
    action = json.loads(taken["body"])
    assert action["command"] == "Shell" and action["input"].startswith("curl -s https://www.gov.uk/")

    found = json.loads(invoke_handler("AuditFunction", sample_event("audit-find-flows.json"))["body"])
    (execution,) = found["flows"]
    assert execution["actions"]["receive_uk_bank_holiday_message_send_response"]["state"]["value"] == "PENDING"

    report = invoke_handler("PackReaperFunction", sample_event("pack-reaper-schedule.json"))
    assert report == {"deadPacksRemoved": [], "actionsExpired": []}


def test_delivery_sample_delivers_an_action_to_a_push_pack(invoke_handler, sample_event, aws, template_app):
    """The delivery function's sample batch (issue 20): a message for an action that is gone is done
    with; the same message for a live action of a push pack delivers it (here to nobody listening: a
    failed attempt: no such host -, kept for the retry)."""
    assert invoke_handler("DeliveryFunction", sample_event("delivery-sqs-batch.json")) == {"batchItemFailures": []}

    invoke_handler("FlowsFunction", sample_event("flows-post-yaml.json"))
    register = sample_event("packs-register.json")
    register["body"] = json.dumps({"name": "Slack"})
    assert invoke_handler("PacksFunction", register)["statusCode"] == 201
    register["body"] = json.dumps({"name": "Shell", "labels": {"env": "dev"}, "delivery": {"url": "https://10.0.0.1/flyte"}})
    refused = invoke_handler("PacksFunction", register)  # the template's default: no private networks
    assert refused["statusCode"] == 400 and "private" in json.loads(refused["body"])["detail"]
    register["body"] = json.dumps({"name": "Shell", "labels": {"env": "dev"}, "delivery": {"url": "https://pack.invalid/flyte"}})
    assert json.loads(invoke_handler("PacksFunction", register)["body"])["delivery"]["secret"]
    assert invoke_handler("PackRuntimeFunction", sample_event("pack-runtime-post-event.json"))["statusCode"] == 202
    invoke_handler("StepMatcherFunction", sample_event("step-matcher-stream-batch.json"))
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=template_app.queue_names["DeliveryQueue"])["QueueUrl"]
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=2)["Messages"]
    batch = sample_event("delivery-sqs-batch.json")
    batch["Records"][0].update(body=message["Body"], receiptHandle=message["ReceiptHandle"])
    kept = invoke_handler("DeliveryFunction", batch)
    assert kept == {"batchItemFailures": [{"itemIdentifier": batch["Records"][0]["messageId"]}]}
    found = json.loads(invoke_handler("AuditFunction", sample_event("audit-find-flows.json"))["body"])
    (execution,) = found["flows"]
    action = execution["actions"]["receive_uk_bank_holiday_message_send_response"]
    assert action["state"]["value"] == "PENDING" and action["takenBy"] == {"iss": "urn:flyte:delivery", "sub": "Shell.env.dev"}


def test_slack_sample_asks_for_the_credentials_until_they_are_set_then_is_verified(aws, sample_event, backend):
    """The Slack function's sample request (issue 20): 503 while the stack's Slack secret holds no
    credentials; once they are set, Slack's signature is checked (the sample's is stale: 401) and a
    request signed now gets its challenge back. A fake Slack answers auth.test."""
    import hashlib
    import hmac
    import time

    from flyte_local import application
    from flyte_local.runtime import FunctionRuntime
    from tests.packs.fake_slack import FakeSlack

    slack = FakeSlack()
    try:
        app = application.load(backend.endpoint, {"SlackIntegration": "true"})
        backend.create_resources(app)
        declared = app.functions["SlackFunction"]
        environment = {**declared.environment, "AWS_ENDPOINT_URL": backend.endpoint, "FLYTE_SLACK_API_URL": slack.api_url}
        function = FunctionRuntime(declared, environment)
        event = sample_event("slack-events-url-verification.json")
        waiting = function.invoke(event)
        assert waiting["statusCode"] == 503 and "credentials" in json.loads(waiting["body"])["error"]

        backend.client("secretsmanager").put_secret_value(
            SecretId="flyte-local-SlackCredentials", SecretString=json.dumps({"botToken": "xoxb-1", "signingSecret": "s3cr3t"})
        )
        function = FunctionRuntime(declared, environment)  # a new environment: no wait for the recheck
        assert function.invoke(sample_event("slack-events-url-verification.json"))["statusCode"] == 401
        stamp = str(int(time.time()))
        signature = "v0=" + hmac.new(b"s3cr3t", f"v0:{stamp}:{event['body']}".encode(), hashlib.sha256).hexdigest()
        signed = sample_event("slack-events-url-verification.json")
        signed["headers"].update({"x-slack-request-timestamp": stamp, "x-slack-signature": signature})
        answer = function.invoke(signed)
        assert answer["statusCode"] == 200 and json.loads(answer["body"])["challenge"] == json.loads(event["body"])["challenge"]
        assert [c.method for c in slack.calls] == ["auth.test"]
    finally:
        slack.close()


def test_where_api_gateway_cannot_answer_the_ready_poll_it_is_404_so_the_sdk_takes_instead(invoke_handler, sample_event):
    """`sam local start-api` runs no service integration: the ready poll reaches the $default route
    (the info function), which says so with a 404 (the SDK then stops asking); a method the route
    does not have is 405 as everywhere."""
    event = sample_event("info-get-v1.json")
    event.update(rawPath="/v1/packs/Shell/actions/ready", routeKey="$default", rawQueryString="wait=20")
    event["requestContext"].update(routeKey="$default", http={**event["requestContext"]["http"], "path": event["rawPath"]})
    answer = invoke_handler("InfoFunction", event)
    assert answer["statusCode"] == 404 and "API Gateway itself" in json.loads(answer["body"])["detail"]
    event["requestContext"]["http"]["method"] = "POST"
    answer = invoke_handler("InfoFunction", event)
    assert answer["statusCode"] == 405 and answer["headers"]["Allow"] == "GET"
