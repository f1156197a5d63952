"""Item 1 of issue 8, the last line of defence: a write DynamoDB refuses for its size is TooLarge
(413 over HTTP), whichever path reached it, a single write or a transaction."""

from __future__ import annotations

import pytest
from pynamodb.transactions import TransactWrite

from flyte_core.adapters import aws as aws_adapter, events_table
from flyte_core.domain.errors import TooLarge
from flyte_core.domain.events import new_event


def oversized_event():
    return new_event("Big", "P", "P", {}, {"blob": "x" * 500_000})


def test_item1_an_item_dynamodb_refuses_for_its_size_is_too_large(aws):
    with pytest.raises(Exception) as caught:
        events_table.put(oversized_event())
    meant = aws_adapter.as_domain_error(caught.value)
    assert isinstance(meant, TooLarge) and meant.extra["maxBytes"] == 400 * 1024


def test_item1_the_same_in_a_transaction(aws):
    with pytest.raises(Exception) as caught:
        with TransactWrite(connection=aws_adapter.pynamodb_connection()) as transaction:
            transaction.save(events_table.to_model(oversized_event()))
    assert isinstance(aws_adapter.as_domain_error(caught.value), TooLarge)


def test_other_failures_keep_their_own_meaning():
    assert aws_adapter.as_domain_error(ValueError("x")) is None

