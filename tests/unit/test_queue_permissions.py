"""Issue 19, item 7: the functions' SQS permissions name exactly this stack's pack queues, under a
prefix no other stack's name can share, and only registration may change a queue's attributes."""

from __future__ import annotations

import re

import pytest

from flyte_core.adapters.pack_queues import MAX_PREFIX, queue_name
from flyte_core.domain.packs import queue_is_current
from flyte_local import application
from flyte_local.cfn import load_template
from tests.template_policies import statements_allowing

TEMPLATE = load_template(application.TEMPLATE)
PREFIX = "${AWS::StackName}_flytepack_"
PACK_QUEUES_ARN = f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{PREFIX}*"
STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")  # what CloudFormation accepts


def sqs_statements() -> dict[str, list[dict]]:
    return statements_allowing(TEMPLATE, "sqs")


def test_the_functions_are_told_the_prefix_their_permissions_name():
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["FLYTE_PACK_QUEUE_PREFIX"] == {"Fn::Sub": PREFIX}


DELIVERY_QUEUE_ARN = {"Fn::GetAtt": ["DeliveryQueue", "Arn"]}  # push delivery's one queue (issue 20)


def pack_queue_statements() -> dict[str, list[dict]]:
    return {
        function: kept
        for function, allowed in sqs_statements().items()
        if (kept := [statement for statement in allowed if statement["Resource"] != DELIVERY_QUEUE_ARN])
    }


def test_every_sqs_permission_is_on_this_stacks_pack_queues_or_its_delivery_queue_only():
    statements = pack_queue_statements()
    assert set(statements) == {
        "PacksFunction",
        "PackRuntimeFunction",
        "TakeFunction",
        "StepMatcherFunction",
        "PackReaperFunction",
        "SlackFunction",
        "DeliveryFunction",  # an expired approval's answer in chat (issue 27)
    }
    for function, allowed in statements.items():
        for statement in allowed:
            assert statement["Resource"] == {"Fn::Sub": PACK_QUEUES_ARN}, function


def test_each_function_may_do_with_the_queues_only_what_it_does():
    actions = {function: {a for s in allowed for a in s["Action"]} for function, allowed in pack_queue_statements().items()}
    assert actions == {
        # register: create (tagged) or find and set the lease; offer waiting actions; delete
        "PacksFunction": {
            "sqs:CreateQueue",
            "sqs:TagQueue",
            "sqs:GetQueueUrl",
            "sqs:SetQueueAttributes",
            "sqs:SendMessage",
            "sqs:DeleteQueue",
        },
        "PackRuntimeFunction": {"sqs:DeleteMessage"},  # a result ends the taken message
        "TakeFunction": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"},
        "StepMatcherFunction": {"sqs:SendMessage"},
        "PackReaperFunction": {"sqs:DeleteQueue"},
        "SlackFunction": {"sqs:DeleteQueue"},  # the queue it had while it long-polled, when it registers for push
        "DeliveryFunction": {"sqs:SendMessage"},  # an expired approval's answer to a long-polling chat pack (issue 27)
    }


@pytest.mark.parametrize(
    ("stack", "other"),
    [("flyte", "flyte-pack-x"), ("flyte", "flyte-flytepack-x"), ("a", "a-b"), ("prod", "prod2")],
)
def test_no_other_stacks_pack_queue_falls_under_this_stacks_prefix(stack, other):
    """With `<stack>-pack-`, stack `flyte` could reach the queues of a stack named `flyte-pack-x`."""
    assert STACK_NAME.fullmatch(stack) and STACK_NAME.fullmatch(other)
    prefix = PREFIX.replace("${AWS::StackName}", stack)
    theirs = queue_name(PREFIX.replace("${AWS::StackName}", other), "Shell.env.dev")
    assert not theirs.startswith(prefix)
    assert queue_name(prefix, "Shell.env.dev").startswith(prefix)


def test_a_stack_name_too_long_for_queue_names_is_refused_not_truncated_into_one_shared_queue():
    longest = "s" * (MAX_PREFIX - len("_flytepack_"))
    names = {queue_name(f"{longest}_flytepack_", pack) for pack in ("Shell", "Slack")}
    assert len(names) == 2 and all(len(name) <= 80 for name in names)
    with pytest.raises(ValueError, match="shorter stack name"):
        queue_name(f"{longest}x_flytepack_", "Shell")


@pytest.mark.parametrize(
    ("url", "current"),
    [
        ("https://sqs.eu-west-1.amazonaws.com/123456789012/flyte_flytepack_Shell-0123456789", True),
        ("https://sqs.eu-west-1.amazonaws.com/123456789012/flyte-pack-Shell-0123456789", False),  # before the upgrade
        ("https://sqs.eu-west-1.amazonaws.com/123456789012/flyte-x_flytepack_Shell-0123456789", False),  # another stack's
        ("", False),
    ],
)
def test_a_packs_queue_is_this_deployments_only_under_its_current_prefix(url, current):
    assert queue_is_current("flyte_flytepack_", url) is current
