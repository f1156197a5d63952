"""The shared delivery queue (issue 20): one message per (action, push pack), read by the delivery
function through its SQS event source. A message kept for later (a 202, a retry after a failed
attempt, an action someone else holds) is hidden for that long; the queue's visibility is then the
lease, as a pack queue's is for long-polling packs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..observability import logger
from ..settings import MAX_LEASE_SECONDS, Settings


@dataclass(frozen=True)
class DeliveryMessage:
    action_id: str
    pack_id: str
    receipt: str


TIMER_FIELD = "approvalDue"  # issue 27: an approval's timer, {"approvalDue": action id}


def parse_timer(body: str) -> str | None:
    """The action id of an approval's timer message (None: not a timer)."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    value = document.get(TIMER_FIELD) if isinstance(document, dict) else None
    return value if isinstance(value, str) and value else None


def parse_message(body: str, receipt: str) -> DeliveryMessage | None:
    """A message body as `send` writes it; None for anything else (logged, then dropped)."""
    try:
        document = json.loads(body)
        action_id, pack_id = document["actionId"], document["packId"]
    except (ValueError, KeyError, TypeError):
        logger.warning("dropping a malformed delivery message", extra={"body": body[:200]})
        return None
    if not isinstance(action_id, str) or not isinstance(pack_id, str):
        logger.warning("dropping a malformed delivery message", extra={"body": body[:200]})
        return None
    return DeliveryMessage(action_id, pack_id, receipt)


class DeliveryQueue:
    def __init__(self, sqs: Any, settings: Settings) -> None:
        self._sqs = sqs
        self.url = settings.delivery_queue_url

    def send_many(self, pack_id: str, action_ids: list[str]) -> None:
        """Queue deliveries of these actions to a push pack, ten per request."""
        if not self.url:
            raise RuntimeError("FLYTE_DELIVERY_QUEUE_URL is not set: template.yaml sets it on every function")
        for start in range(0, len(action_ids), 10):
            batch = action_ids[start : start + 10]
            response = self._sqs.send_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(index), "MessageBody": json.dumps({"actionId": action_id, "packId": pack_id})}
                    for index, action_id in enumerate(batch)
                ],
            )
            if response.get("Failed"):
                raise RuntimeError(f"SQS refused {len(response['Failed'])} message(s): {response['Failed'][0].get('Message')}")

    def send_timer(self, action_id: str, delay_seconds: int) -> None:
        """An approval's timer (issue 27): back after `delay_seconds` (at most SQS's 900), then kept
        hidden until the approval is due, as a lease is."""
        if not self.url:
            raise RuntimeError("FLYTE_DELIVERY_QUEUE_URL is not set: template.yaml sets it on every function")
        self._sqs.send_message(
            QueueUrl=self.url, MessageBody=json.dumps({TIMER_FIELD: action_id}), DelaySeconds=max(0, min(delay_seconds, 900))
        )

    def hide(self, receipt: str, seconds: float) -> None:
        """Deliver the message again after `seconds` (at most SQS's 12 hours)."""
        seconds = max(0, min(int(seconds), MAX_LEASE_SECONDS))
        try:
            self._sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=receipt, VisibilityTimeout=seconds)
        except ClientError as error:  # a stale receipt: the message was handled meanwhile
            logger.info("could not hide a delivery message", extra={"error": error.response["Error"]["Code"]})
