"""Issue 19, item 6: what bounds the cost of requests, in template.yaml: each route's throttling
(API Gateway answers 429 beyond it, without invoking a function) from two parameters with defaults,
and an optional reserved concurrency for every API function."""

from __future__ import annotations

import pytest

from flyte_local import application
from flyte_local.cfn import load_template

TEMPLATE = load_template(application.TEMPLATE)
PARAMETERS = TEMPLATE["Parameters"]
RESOURCES = TEMPLATE["Resources"]
# CloudFormation's defaults: the template's, not the local stack's (which lifts the throttling).
DEPLOYED = {name: str(spec.get("Default", "")) for name, spec in PARAMETERS.items()}


def http_api_functions() -> dict[str, dict]:
    return {
        name: resource["Properties"]
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::Serverless::Function"
        and any(event["Type"] == "HttpApi" for event in resource["Properties"].get("Events", {}).values())
    }


def test_every_route_is_throttled_by_the_rate_and_burst_parameters():
    (api,) = [resource for resource in RESOURCES.values() if resource["Type"] == "AWS::Serverless::HttpApi"]
    assert api["Properties"]["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
    }
    deployed = application.load("http://moto", DEPLOYED).throttling
    assert deployed is not None and (deployed.rate, deployed.burst) == (20, 50)
    assert PARAMETERS["ThrottlingRateLimit"]["MinValue"] >= 1 and PARAMETERS["ThrottlingBurstLimit"]["MinValue"] >= 1


def test_every_api_function_can_have_a_reserved_concurrency_and_none_has_one_by_default():
    functions = http_api_functions()
    assert set(functions) == {
        "InfoFunction",
        "PacksFunction",
        "FlowsFunction",
        "DatastoreFunction",
        "PackRuntimeFunction",
        "AuditFunction",
        "TokensFunction",
        "SecretsFunction",
        "SlackFunction",  # with SlackIntegration=true
        "SchedulesFunction",  # issue 22
        "HooksFunction",  # issue 22
    }
    for name, properties in functions.items():
        parameter = "PackRuntimeReservedConcurrency" if name == "PackRuntimeFunction" else "ApiReservedConcurrency"
        condition, value, otherwise = properties["ReservedConcurrentExecutions"]["Fn::If"]
        assert (value, otherwise) == ({"Ref": parameter}, {"Ref": "AWS::NoValue"}), name
        assert TEMPLATE["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, "0"]}]}
        assert PARAMETERS[parameter]["Default"] == 0
    assert all(f.reserved_concurrency is None for f in application.load("http://moto", DEPLOYED).functions.values())


@pytest.mark.parametrize(("api", "pack_runtime"), [("5", "0"), ("0", "40"), ("3", "30")])
def test_a_reserved_concurrency_given_reaches_exactly_the_functions_it_names(api, pack_runtime):
    overrides = {"ApiReservedConcurrency": api, "PackRuntimeReservedConcurrency": pack_runtime, "SlackIntegration": "true"}
    loaded = application.load("http://moto", overrides)
    reserved = {name: function.reserved_concurrency for name, function in loaded.functions.items()}
    for name in http_api_functions():
        wanted = pack_runtime if name == "PackRuntimeFunction" else api
        assert reserved[name] == (int(wanted) or None), name
    assert reserved["StepMatcherFunction"] is None and reserved["PackReaperFunction"] is None
