"""Waiting, from a test, for the state of a fake that its server threads change."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def wait_until(condition: threading.Condition, predicate: Callable[[], bool], timeout: float) -> bool:
    """True once `predicate` holds, False when `timeout` seconds pass first. The fakes notify the
    condition on each change; it is re-read every 0.1 s as well, for state a test sets directly."""
    deadline = time.monotonic() + timeout
    with condition:
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            condition.wait(min(left, 0.1))
        return True
