"""Settings: parsed once from a mapping (never os.environ in tests), with template.yaml as the one
source of every name, default and limit."""

from dataclasses import FrozenInstanceError, fields

import pytest

from flyte_core.settings import (
    FLAG_VARIABLES,
    MAX_LEASE_SECONDS,
    MAX_TAKE_WAIT_SECONDS,
    NUMBER_VARIABLES,
    TABLE_VARIABLES,
    MissingSetting,
    Settings,
)
from flyte_local import application
from flyte_local.cfn import load_template

TEMPLATE = load_template(application.TEMPLATE)
PARAMETERS = TEMPLATE["Parameters"]


def declared_variables() -> dict:
    """Every function's environment variables as the template writes them (Refs unresolved)."""
    variables = dict(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"])
    for resource in TEMPLATE["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            variables.update(resource["Properties"].get("Environment", {}).get("Variables", {}))
    return variables


def environment(**overrides: str) -> dict:
    """What template.yaml gives a function locally, as a plain mapping."""
    return {**application.load("http://127.0.0.1:4566").functions["PackReaperFunction"].environment, **overrides}


def test_each_setting_is_fed_by_the_template_parameter_with_the_same_default():
    declared = declared_variables()
    defaults = {field.name: field.default for field in fields(Settings)}
    for field, variable in [*((f, v) for f, (v, _, _) in NUMBER_VARIABLES.items()), *FLAG_VARIABLES.items()]:
        parameter = PARAMETERS[declared[variable]["Ref"]]
        assert str(defaults[field]).lower() == str(parameter["Default"]).lower(), (field, parameter)


def test_sqs_limits_are_written_once_and_the_template_respects_them():
    assert PARAMETERS["TakeWaitSeconds"]["MaxValue"] == MAX_TAKE_WAIT_SECONDS == NUMBER_VARIABLES["take_wait_seconds"][2]
    assert PARAMETERS["ActionLeaseSeconds"]["MaxValue"] == MAX_LEASE_SECONDS == NUMBER_VARIABLES["action_lease_seconds"][2]


def test_table_names_come_from_the_template_resources():
    declared = declared_variables()
    settings = Settings.from_environ(environment())
    for field, variable in TABLE_VARIABLES.items():
        assert declared[variable] == {"Ref": declared[variable]["Ref"]}
        assert getattr(settings.tables, field) == f"flyte-local-{declared[variable]['Ref']}"


def test_values_are_parsed_and_bad_numbers_fall_back_to_the_default():
    settings = Settings.from_environ(
        environment(
            FLYTE_TAKE_WAIT_SECONDS="21",
            FLYTE_ACTION_LEASE_SECONDS="x",
            FLYTE_ACTION_MAX_ATTEMPTS="7",
            FLYTE_SHOULD_DELETE_DEAD_PACKS="yes",
            AWS_REGION="eu-west-1",
            AWS_ENDPOINT_URL="http://moto:5000",
            AWS_ENDPOINT_URL_SQS="http://sqs:9324",
        )
    )
    assert (settings.take_wait_seconds, settings.action_lease_seconds, settings.action_max_attempts) == (5, 300, 7)
    assert settings.should_delete_dead_packs is True
    access = settings.aws
    assert (access.region, access.endpoint_for("dynamodb"), access.endpoint_for("sqs")) == (
        "eu-west-1",
        "http://moto:5000",
        "http://sqs:9324",
    )


def test_an_empty_endpoint_means_aws_itself():
    access = Settings.from_environ(environment(AWS_ENDPOINT_URL="", AWS_ENDPOINT_URL_SQS="")).aws
    assert access.endpoint_for("dynamodb") is None and access.endpoint_for("sqs") is None


def test_a_function_without_its_table_names_says_which_are_missing():
    env = environment()
    del env["FLYTE_EVENTS_TABLE"]
    with pytest.raises(MissingSetting, match="FLYTE_EVENTS_TABLE"):
        Settings.from_environ(env)


def test_settings_cannot_change_after_the_cold_start():
    settings = Settings.from_environ(environment())
    with pytest.raises(FrozenInstanceError):
        settings.take_wait_seconds = 1
