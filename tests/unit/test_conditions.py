"""`settled`: the one answer to "did this conditional write happen?" (issue 30), including when the
SDK spent its retries without a single reply while the first attempt had landed."""

from __future__ import annotations

import pytest
from pynamodb.exceptions import UpdateError

from flyte_core.adapters.conditions import settled


class _Cause(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code, "Message": code}}


def unanswered() -> None:
    raise UpdateError("no reply to any attempt")  # a connection error after retries: no response code


def refused() -> None:
    raise UpdateError("condition", cause=_Cause("ConditionalCheckFailedException"))


def test_a_write_that_answers_is_done_without_reading_the_item():
    reads: list[int] = []
    assert settled(lambda: None, lambda: reads.append(1) or True) is True
    assert reads == []


def test_a_failed_condition_is_ours_only_when_the_item_holds_our_token():
    assert settled(refused, lambda: True) is True  # an earlier attempt of ours landed
    assert settled(refused, lambda: False) is False  # someone else's write stopped it


def test_a_write_no_attempt_of_which_was_answered_is_done_when_the_item_holds_our_token():
    assert settled(unanswered, lambda: True) is True


def test_a_write_no_attempt_of_which_was_answered_and_that_did_not_land_still_fails():
    with pytest.raises(UpdateError):
        settled(unanswered, lambda: False)
