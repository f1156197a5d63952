"""Messages in the packs' queues: one per (action, pack queue); the queue's visibility timeout is the lease."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import NotFound
from ..observability import logger
from ..settings import MAX_LEASE_SECONDS, Settings

QUEUE_GONE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


@dataclass(frozen=True)
class Message:
    action_id: str
    receipt: str


def _entry(action_id: str, command: str) -> dict[str, Any]:
    return {
        "MessageBody": json.dumps({"actionId": action_id}),
        "MessageAttributes": {"command": {"DataType": "String", "StringValue": command or "-"}},
    }


class ActionQueues:
    def __init__(self, sqs: Any, settings: Settings) -> None:
        self._sqs = sqs
        self._lease = settings.action_lease_seconds

    def send(self, queue_url: str, action_id: str, command: str) -> bool:
        """Send one action; False when the queue is gone (its pack was removed)."""
        try:
            self._sqs.send_message(QueueUrl=queue_url, **_entry(action_id, command))
        except ClientError as error:
            if error.response["Error"]["Code"] in QUEUE_GONE:
                return False
            raise
        return True

    def send_many(self, queue_url: str, actions: list[tuple[str, str]]) -> None:
        """Send (action id, command) pairs, ten per request."""
        for start in range(0, len(actions), 10):
            batch = actions[start : start + 10]
            response = self._sqs.send_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(index), **_entry(action_id, command)} for index, (action_id, command) in enumerate(batch)],
            )
            if response.get("Failed"):
                raise RuntimeError(f"SQS refused {len(response['Failed'])} message(s): {response['Failed'][0].get('Message')}")

    def receive(self, queue_url: str, wait_seconds: int) -> list[Message]:
        """Long-poll for one message; it stays invisible to other takers for the lease.

        The queue goes with its pack: a pack deleted meanwhile (even during this poll) is not found."""
        try:
            response = self._sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=wait_seconds, VisibilityTimeout=self._lease
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in QUEUE_GONE:
                raise NotFound(
                    "The pack was deleted (with its queue) while it waited for an action; register it again."
                ) from None
            raise
        messages = []
        for raw in response.get("Messages", []):
            try:
                action_id = json.loads(raw["Body"])["actionId"]
            except (ValueError, KeyError, TypeError):
                logger.warning("dropping a malformed queue message", extra={"body": raw.get("Body", "")[:200]})
                self.delete(queue_url, raw["ReceiptHandle"])
                continue
            messages.append(Message(action_id, raw["ReceiptHandle"]))
        return messages

    def delete(self, queue_url: str, receipt: str) -> None:
        _quietly(lambda: self._sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt), "delete")

    def hide(self, queue_url: str, receipt: str, seconds: float) -> None:
        """Make a received message visible again after `seconds` (0: at once)."""
        seconds = max(0, min(int(seconds), MAX_LEASE_SECONDS))
        _quietly(
            lambda: self._sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=seconds),
            "change visibility of",
        )


def _quietly(call: Callable[[], Any], what: str) -> None:
    """A stale receipt or a queue deleted meanwhile only means someone else handled the message; SQS
    failing to answer (after the SDK's retries) leaves the message to be settled when next received."""
    try:
        call()
    except ClientError as error:
        logger.info(f"could not {what} a queue message", extra={"error": error.response["Error"]["Code"]})
    except BotoCoreError as error:
        logger.warning(f"could not {what} a queue message", extra={"error": str(error)})
