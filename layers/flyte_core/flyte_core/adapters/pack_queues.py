"""The SQS queue of each pack: where its actions wait to be taken.

Queue names start with the deployment's prefix, `<stack>_flytepack_` in template.yaml: stack names
have no `_`, so no other stack's name can share it, and the functions' SQS permissions name exactly
it. A pack registered under an older prefix (`<stack>-pack-`) keeps that queue's URL until it
registers again; `domain.packs.queue_is_current` tells the two apart.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import Unavailable
from ..settings import Settings
from .action_queues import QUEUE_GONE

MAX_QUEUE_NAME = 80
FOURTEEN_DAYS = 1209600


DIGEST_CHARACTERS = 10
# The longest prefix that leaves room for one character of the id and its digest (a stack name of 57).
MAX_PREFIX = MAX_QUEUE_NAME - DIGEST_CHARACTERS - 2


def queue_name(prefix: str, pack_id: str) -> str:
    """A valid, unique SQS queue name for any pack id: safe characters plus a hash of the exact id."""
    if len(prefix) > MAX_PREFIX:
        raise ValueError(f"The pack queue prefix {prefix!r} is longer than {MAX_PREFIX} characters: use a shorter stack name.")
    digest = hashlib.sha256(pack_id.encode("utf-8")).hexdigest()[:DIGEST_CHARACTERS]
    room = MAX_QUEUE_NAME - len(prefix) - len(digest) - 1
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", pack_id)[:room]
    return f"{prefix}{safe}-{digest}"


class PackQueues:
    def __init__(self, sqs: Any, settings: Settings) -> None:
        self._sqs = sqs
        self._prefix = settings.pack_queue_prefix
        self._attributes = {"VisibilityTimeout": str(settings.action_lease_seconds), "MessageRetentionPeriod": str(FOURTEEN_DAYS)}

    def ensure_queue(self, pack_id: str) -> str:
        """Create the pack's queue (or bring an existing one to the current lease) and return its URL."""
        name = queue_name(self._prefix, pack_id)
        try:
            return self._sqs.create_queue(QueueName=name, Attributes=self._attributes, tags={"flyte:pack": pack_id[:256]})[
                "QueueUrl"
            ]
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in ("QueueAlreadyExists", "QueueNameExists", "AWS.SimpleQueueService.QueueNameExists"):
                url = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
                self._sqs.set_queue_attributes(QueueUrl=url, Attributes=self._attributes)
                return url
            if code in ("QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently"):
                raise Unavailable(
                    "This pack's queue was deleted less than 60 seconds ago; SQS refuses to recreate it yet. Retry shortly.",
                    retryAfterSeconds=60,
                ) from None
            raise

    def delete_queue(self, queue_url: str) -> None:
        try:
            self._sqs.delete_queue(QueueUrl=queue_url)
        except ClientError as error:
            if error.response["Error"]["Code"] not in QUEUE_GONE:
                raise
