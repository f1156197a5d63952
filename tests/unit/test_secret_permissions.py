"""Issue 24: who may read secret values. Only the functions that answer packs (the pack runtime's
take and result, push delivery) may GetParameter under the stack's secrets path; the secrets function
writes and describes but cannot GetParameter; no function may touch another path's parameters."""

from __future__ import annotations

from flyte_local import application
from flyte_local.cfn import load_template
from tests.template_policies import statements_allowing

TEMPLATE = load_template(application.TEMPLATE)
SECRETS_PATH = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${AWS::StackName}/secrets/*"


def ssm_statements() -> dict[str, list[dict]]:
    return statements_allowing(TEMPLATE, "ssm")


def test_the_functions_are_told_the_path_their_permissions_name():
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["FLYTE_SECRETS_PREFIX"] == {"Fn::Sub": "/${AWS::StackName}/secrets/"}


def test_only_the_functions_that_answer_packs_may_read_a_value():
    readers = {
        name
        for name, statements in ssm_statements().items()
        for statement in statements
        if "ssm:GetParameter" in statement["Action"] or "ssm:GetParameters" in statement["Action"]
    }
    assert readers == {"TakeFunction", "PackRuntimeFunction", "DeliveryFunction"}
    for name in readers:
        (statement,) = ssm_statements()[name]
        assert statement["Action"] == ["ssm:GetParameter"] and statement["Resource"] == {"Fn::Sub": SECRETS_PATH}


def test_the_secrets_function_writes_and_describes_under_its_path_only():
    statements = ssm_statements()["SecretsFunction"]
    scoped, describe = statements
    assert set(scoped["Action"]) == {"ssm:PutParameter", "ssm:DeleteParameter", "ssm:GetParameterHistory"}
    assert scoped["Resource"] == {"Fn::Sub": SECRETS_PATH}
    assert describe["Action"] == ["ssm:DescribeParameters"]  # names no resource in IAM; the code filters its prefix


def test_no_other_function_has_ssm_permissions_of_its_own():
    assert set(ssm_statements()) == {"TakeFunction", "PackRuntimeFunction", "DeliveryFunction", "SecretsFunction"}
