"""What users wrote outlives the stack: every resource of template.yaml that stores data keeps it when
the stack is deleted (`sam delete`), when an update removes it, and when an update replaces it.

Which resources count: every resource of a type that stores data (below). All SQS queues of the
template count: the only one is the stream-failure queue, whose records are events the step matcher
gave up on, worth keeping until someone replays them. The per-pack action queues are not in the
template at all: the packs function creates them at run time (`<stack>-pack-*`), so CloudFormation
never deletes them, and what they carry is a copy (the actions table is the record; unfinished
actions are queued again when their pack registers). Log groups are not in the template either
(Lambda creates `/aws/lambda/<function>` itself and keeps it); one added to the template must be
retained like the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flyte_local.cfn import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")

RETAIN = {"Retain"}
RETAIN_OR_SNAPSHOT = {"Retain", "Snapshot"}  # for the types CloudFormation can snapshot before deleting
STATEFUL: dict[str, set[str]] = {
    "AWS::DynamoDB::Table": RETAIN,
    "AWS::DynamoDB::GlobalTable": RETAIN,
    "AWS::Serverless::SimpleTable": RETAIN,
    "AWS::SecretsManager::Secret": RETAIN,
    "AWS::SSM::Parameter": RETAIN,
    "AWS::SQS::Queue": RETAIN,
    "AWS::SNS::Topic": RETAIN,  # FIFO topics archive messages
    "AWS::S3::Bucket": RETAIN,
    "AWS::Logs::LogGroup": RETAIN,
    "AWS::KMS::Key": RETAIN,  # what it encrypts is unreadable without it
    "AWS::Kinesis::Stream": RETAIN,
    "AWS::EFS::FileSystem": RETAIN,
    "AWS::Cognito::UserPool": RETAIN,
    "AWS::Backup::BackupVault": RETAIN,
    "AWS::ECR::Repository": RETAIN,
    "AWS::OpenSearchService::Domain": RETAIN,
    "AWS::EC2::Volume": RETAIN_OR_SNAPSHOT,
    "AWS::RDS::DBInstance": RETAIN_OR_SNAPSHOT,
    "AWS::RDS::DBCluster": RETAIN_OR_SNAPSHOT,
    "AWS::ElastiCache::ReplicationGroup": RETAIN_OR_SNAPSHOT,
    "AWS::Redshift::Cluster": RETAIN_OR_SNAPSHOT,
}
POLICIES = ("DeletionPolicy", "UpdateReplacePolicy")


def unprotected(template: dict[str, Any]) -> list[str]:
    """One line per stateful resource and policy it lacks (or sets to something that deletes it)."""
    problems = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        allowed = STATEFUL.get(resource.get("Type", ""))
        if allowed is None:
            continue
        for policy in POLICIES:
            value = resource.get(policy)
            if value not in allowed:
                problems.append(
                    f"{logical_id} ({resource['Type']}) has {policy}: {value or 'none (Delete)'}; "
                    f"it stores user data, so give it {policy}: {' or '.join(sorted(allowed))}"
                )
    return problems


def test_every_resource_that_stores_data_is_retained_on_deletion_and_replacement():
    assert unprotected(TEMPLATE) == []


def test_the_resources_holding_user_data_are_the_ones_retained():
    retained = {
        logical_id
        for logical_id, resource in TEMPLATE["Resources"].items()
        if resource.get("DeletionPolicy") == "Retain" and resource.get("UpdateReplacePolicy") == "Retain"
    }
    tables = {logical_id for logical_id, resource in TEMPLATE["Resources"].items() if resource["Type"] == "AWS::DynamoDB::Table"}
    assert len(tables) == 8
    assert tables | {"TokenSecret", "AuthPolicyParameter", "StepMatcherFailures", "ApiAccessLogs"} <= retained


@pytest.mark.parametrize(
    ("resource", "complaints"),
    [
        ({"Type": "AWS::DynamoDB::Table"}, 2),
        ({"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain"}, 1),
        ({"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Retain"}, 1),
        ({"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Retain"}, 1),
        ({"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Snapshot"}, 0),
        ({"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}, 0),
        ({"Type": "AWS::Serverless::Function"}, 0),
    ],
)
def test_the_rule_names_each_missing_policy(resource, complaints):
    found = unprotected({"Resources": {"Thing": resource}})
    assert len(found) == complaints
    assert all(line.startswith(f"Thing ({resource['Type']}) has ") for line in found)
