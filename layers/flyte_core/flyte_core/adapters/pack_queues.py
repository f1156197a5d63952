"""The SQS queue of each pack: where its actions wait to be taken."""

from __future__ import annotations

import hashlib
import re

from botocore.exceptions import ClientError

from ..domain.errors import Unavailable
from ..settings import settings
from .action_queues import QUEUE_GONE
from .aws import client

MAX_QUEUE_NAME = 80
FOURTEEN_DAYS = 1209600


def queue_name(pack_id: str, prefix: str | None = None) -> str:
    """A valid, unique SQS queue name for any pack id: safe characters plus a hash of the exact id."""
    prefix = settings().pack_queue_prefix if prefix is None else prefix
    digest = hashlib.sha256(pack_id.encode("utf-8")).hexdigest()[:10]
    room = MAX_QUEUE_NAME - len(prefix) - len(digest) - 1
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", pack_id)[:max(room, 0)]
    return f"{prefix}{safe}-{digest}"[:MAX_QUEUE_NAME]


def _attributes() -> dict[str, str]:
    return {"VisibilityTimeout": str(settings().action_lease_seconds), "MessageRetentionPeriod": str(FOURTEEN_DAYS)}


def ensure_queue(pack_id: str) -> str:
    """Create the pack's queue (or bring an existing one to the current lease) and return its URL."""
    sqs = client("sqs")
    name = queue_name(pack_id)
    try:
        return sqs.create_queue(QueueName=name, Attributes=_attributes(), tags={"flyte:pack": pack_id[:256]})["QueueUrl"]
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code in ("QueueAlreadyExists", "QueueNameExists", "AWS.SimpleQueueService.QueueNameExists"):
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes=_attributes())
            return url
        if code in ("QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently"):
            raise Unavailable(
                "This pack's queue was deleted less than 60 seconds ago; SQS refuses to recreate it yet. Retry shortly.",
                retryAfterSeconds=60,
            ) from None
        raise


def delete_queue(queue_url: str) -> None:
    try:
        client("sqs").delete_queue(QueueUrl=queue_url)
    except ClientError as error:
        if error.response["Error"]["Code"] not in QUEUE_GONE:
            raise
