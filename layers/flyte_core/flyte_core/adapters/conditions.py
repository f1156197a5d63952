"""The one answer to "did this conditional write happen?" for every table.

A write whose reply was lost is retried by the SDK (and by PynamoDB) as the same request; its own
first attempt then makes its condition fail. Every write a retry can repeat therefore carries a
token of its own attempt (an event's `writeToken`, an action's `claimToken`, a result's id), and
`settled` asks the item, when the condition failed, whether it holds that token: then the write did
happen, in the attempt whose reply was lost, and is reported as done rather than as a conflict."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError

# A condition of a single write, or of any write in a transaction, did not hold.
_CONDITION_FAILED = ("ConditionalCheckFailedException", "TransactionCanceledException")


def written(write: Callable[[], object]) -> bool:
    """Run a conditional write: True when it happened, False when its condition did not hold.

    Any other failure (throttling, a missing table...) raises as it is.
    """
    try:
        write()
    except (PutError, UpdateError, DeleteError, TransactWriteError) as error:
        if error.cause_response_code in _CONDITION_FAILED:
            return False
        raise
    return True


def settled(write: Callable[[], object], own: Callable[[], bool]) -> bool:
    """Run a conditional write that a retry may repeat: True when it happened, now or in an earlier
    attempt of the same write whose reply was lost (`own()`, asked only when the write did not say
    it happened, reads the item and says whether it holds this write's token); False when someone
    else's write stopped it.

    When no attempt got an answer at all (every reply lost, the SDK's retries spent), the first may
    still have landed: the item says so, and only when it does not is the failure raised. Otherwise
    a claim that landed would be answered 503 and its action sit out a whole lease unoffered."""
    try:
        if written(write):
            return True
    except (PutError, UpdateError, DeleteError, TransactWriteError):
        if own():
            return True
        raise
    return own()


def attempt_token() -> str:
    """A token for one logical write, written with the item so that its retries recognise it."""
    return uuid.uuid4().hex
