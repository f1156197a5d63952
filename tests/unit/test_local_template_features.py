"""What the local stack reads from template.yaml for issue 20: SQS event sources, optional (Condition)
functions, Globals lists merged as SAM merges them, and the deployed API's address replaced by its own."""

from flyte_local import application
from flyte_local.lambda_api import function_of


def test_optional_functions_follow_their_condition():
    off = application.load("http://moto")
    assert "SlackFunction" not in off.functions and not [r for r in off.routes if r.path.startswith("/slack")]
    on = application.load("http://moto", {"SlackIntegration": "true"})
    assert {(r.method, r.path) for r in on.routes if r.function == "SlackFunction"} == {
        ("POST", "/slack/events"),
        ("POST", "/slack/actions"),
    }


def test_a_functions_own_layers_come_after_the_global_ones_as_sam_merges_lists():
    layers = application.load("http://moto", {"SlackIntegration": "true"}).functions["SlackFunction"].layers
    assert [layer.name for layer in layers] == ["flyte_core", "packs"]


def test_the_deployed_api_address_is_known_so_the_local_stack_can_put_its_own():
    app = application.load("http://moto", {"SlackIntegration": "true"})
    assert app.http_apis == ["FlyteHttpApi"]
    assert app.functions["SlackFunction"].environment["FLYTE_API_URL"] == application.deployed_api_url("FlyteHttpApi")


def test_the_local_lambda_api_finds_a_function_by_name_physical_name_or_arn():
    app = application.load("http://moto", {"SlackIntegration": "true"})
    for name in ("SlackFunction", "flyte-local-slack", "arn:aws:lambda:us-east-1:123456789012:function:SlackFunction:$LATEST"):
        assert function_of(name, app) == "SlackFunction"
    assert function_of("nope", app) is None


def test_the_ready_poll_is_read_from_the_api_document_as_api_gateway_would_run_it():
    """Issue 21: a route with no function, its authorizer's cache keyed by the token (and the pack's
    path) whenever auth is on, so that one caller's grant never serves another."""
    open_stack = application.load("http://moto")
    (ready,) = [r for r in open_stack.routes if r.integration is not None]
    assert (ready.method, ready.path, ready.function) == ("GET", "/v1/packs/{packId}/actions/ready", "")
    assert ready.integration.subtype == "SQS-ReceiveMessage"
    assert ready.integration.request_parameters == {
        "QueueUrl": "$context.authorizer.queueUrl",
        "WaitTimeSeconds": "$request.querystring.wait",
        "VisibilityTimeout": "0",  # a peek: the message stays for the take
        "MaxNumberOfMessages": "1",
    }
    assert ready.authorizer is not None and ready.authorizer.function == "ReadyAuthorizerFunction"
    assert ready.authorizer.identity_source == ["$context.path"] and ready.authorizer.ttl_seconds == 300
    secure = application.load("http://moto", {"BuiltInTokenIssuer": "true", "AllowAnonymousAccess": "false"})
    (ready,) = [r for r in secure.routes if r.integration is not None]
    assert ready.authorizer is not None
    assert ready.authorizer.identity_source == ["$request.header.Authorization", "$context.path"]


def test_the_tables_follow_the_index_upgrade_step_as_cloudformation_builds_them():
    def events(app: application.Application) -> tuple[list[str], list[str]]:
        properties = app.tables["EventsTable"]
        return [i["IndexName"] for i in properties["GlobalSecondaryIndexes"]], [
            d["AttributeName"] for d in properties["AttributeDefinitions"]
        ]

    indexes, attributes = events(application.load("http://moto"))  # the default: a new stack gets everything
    assert indexes == ["byPack", "byPackShard", "byTime"] and "timeShard" in attributes
    indexes, attributes = events(application.load("http://moto", {"IndexUpgradeStep": "first"}))
    assert indexes == ["byPack", "byPackShard"] and "timeShard" not in attributes  # AWS::NoValue leaves the item out
