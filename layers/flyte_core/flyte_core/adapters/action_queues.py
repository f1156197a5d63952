"""Messages in the packs' queues: one per (action, pack queue); the queue's visibility timeout is the lease."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import NotFound
from ..observability import logger
from ..settings import settings
from .aws import client


QUEUE_GONE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


@dataclass(frozen=True)
class Message:
    action_id: str
    receipt: str
    receive_count: int


def send(queue_url: str, action_id: str, command: str) -> None:
    client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps({"actionId": action_id}),
                               MessageAttributes={"command": {"DataType": "String", "StringValue": command or "-"}})


def send_many(queue_url: str, actions: list[tuple[str, str]]) -> None:
    """Send (action id, command) pairs, ten per request."""
    sqs = client("sqs")
    for start in range(0, len(actions), 10):
        batch = actions[start:start + 10]
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(index), "MessageBody": json.dumps({"actionId": action_id}),
             "MessageAttributes": {"command": {"DataType": "String", "StringValue": command or "-"}}}
            for index, (action_id, command) in enumerate(batch)])
        if response.get("Failed"):
            raise RuntimeError(f"SQS refused {len(response['Failed'])} message(s): {response['Failed'][0].get('Message')}")


def receive(queue_url: str, wait_seconds: int) -> list[Message]:
    """Long-poll for one message; it stays invisible to other takers for the lease.

    The queue goes with its pack: a pack deleted meanwhile (even during this poll) is not found."""
    try:
        response = client("sqs").receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=settings().action_lease_seconds, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    except ClientError as error:
        if error.response["Error"]["Code"] in QUEUE_GONE:
            raise NotFound("The pack was deleted (with its queue) while it waited for an action; register it again.") from None
        raise
    messages = []
    for raw in response.get("Messages", []):
        try:
            action_id = json.loads(raw["Body"])["actionId"]
        except (ValueError, KeyError, TypeError):
            logger.warning("dropping a malformed queue message", extra={"body": raw.get("Body", "")[:200]})
            delete(queue_url, raw["ReceiptHandle"])
            continue
        messages.append(Message(action_id, raw["ReceiptHandle"], int(raw.get("Attributes", {}).get("ApproximateReceiveCount", 1))))
    return messages


def delete(queue_url: str, receipt: str) -> None:
    _quietly(lambda: client("sqs").delete_message(QueueUrl=queue_url, ReceiptHandle=receipt), "delete")


def hide(queue_url: str, receipt: str, seconds: int) -> None:
    """Make a received message visible again after `seconds` (0: at once)."""
    seconds = max(0, min(int(seconds), 43200))
    _quietly(lambda: client("sqs").change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt,
                                                             VisibilityTimeout=seconds), "change visibility of")


def _quietly(call: Any, what: str) -> None:
    """A stale receipt or a queue deleted meanwhile only means someone else handled the message."""
    try:
        call()
    except ClientError as error:
        logger.info(f"could not {what} a queue message", extra={"error": error.response["Error"]["Code"]})
