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


# Functions with a reserved concurrency parameter of their own (the rest share ApiReservedConcurrency).
OWN_PARAMETER = {"PackRuntimeFunction": "PackRuntimeReservedConcurrency", "TakeFunction": "TakeReservedConcurrency"}


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
        "TakeFunction",
        "AuditFunction",
        "TokensFunction",
        "SecretsFunction",
        "SlackFunction",  # with SlackIntegration=true
        "SchedulesFunction",  # issue 22
        "HooksFunction",  # issue 22
    }
    for name, properties in functions.items():
        parameter = OWN_PARAMETER.get(name, "ApiReservedConcurrency")
        condition, value, otherwise = properties["ReservedConcurrentExecutions"]["Fn::If"]
        assert (value, otherwise) == ({"Ref": parameter}, {"Ref": "AWS::NoValue"}), name
        assert TEMPLATE["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, "0"]}]}
        assert PARAMETERS[parameter]["Default"] == 0
    assert all(f.reserved_concurrency is None for f in application.load("http://moto", DEPLOYED).functions.values())


@pytest.mark.parametrize(
    ("api", "pack_runtime", "take"), [("5", "0", "0"), ("0", "40", "0"), ("3", "30", "200"), ("0", "0", "50")]
)
def test_a_reserved_concurrency_given_reaches_exactly_the_functions_it_names(api, pack_runtime, take):
    overrides = {
        "ApiReservedConcurrency": api,
        "PackRuntimeReservedConcurrency": pack_runtime,
        "TakeReservedConcurrency": take,
        "SlackIntegration": "true",
    }
    loaded = application.load("http://moto", overrides)
    reserved = {name: function.reserved_concurrency for name, function in loaded.functions.items()}
    wanted_by_parameter = {
        "ApiReservedConcurrency": api,
        "PackRuntimeReservedConcurrency": pack_runtime,
        "TakeReservedConcurrency": take,
    }
    for name in http_api_functions():
        wanted = wanted_by_parameter[OWN_PARAMETER.get(name, "ApiReservedConcurrency")]
        assert reserved[name] == (int(wanted) or None), name
    assert reserved["StepMatcherFunction"] is None and reserved["PackReaperFunction"] is None


def test_the_take_runs_small_and_alone():
    """Issue 21: a parked long poll is billed per millisecond and GB; it has a function of its own,
    smaller than the others, and the routes that post events and results are not in it."""
    take = RESOURCES["TakeFunction"]["Properties"]
    routes = {event["Properties"]["Path"] for event in take["Events"].values()}
    assert routes == {"/v1/packs/{packId}/actions/take"}
    assert take["MemorySize"] == {"Ref": "TakeMemorySize"}
    assert PARAMETERS["TakeMemorySize"]["Default"] < TEMPLATE["Globals"]["Function"]["MemorySize"]
    runtime_routes = {e["Properties"]["Path"] for e in RESOURCES["PackRuntimeFunction"]["Properties"]["Events"].values()}
    assert "/v1/packs/{packId}/actions/take" not in runtime_routes
    loaded = application.load("http://moto", DEPLOYED)
    assert loaded.functions["TakeFunction"].timeout >= 20 + 5  # the longest wait, with room to claim
