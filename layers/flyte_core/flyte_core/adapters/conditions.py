"""The one answer to "did this conditional write happen?" for every table."""

from __future__ import annotations

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
