"""Item 1 of issue 8, the last line of defence: a write DynamoDB refuses for its size is TooLarge
(413 over HTTP), whichever path reached it, a single write or a transaction."""

from __future__ import annotations

import pytest
from pynamodb.transactions import TransactWrite

from flyte_core.adapters.aws import as_domain_error
from flyte_core.domain.errors import TooLarge
from flyte_core.domain.events import new_event


def oversized_event():
    return new_event("Big", "P", "P", {}, {"blob": "x" * 500_000})


def test_item1_an_item_dynamodb_refuses_for_its_size_is_too_large(adapters):
    with pytest.raises(Exception) as caught:
        adapters.events_table.put(oversized_event())
    meant = as_domain_error(caught.value)
    assert isinstance(meant, TooLarge) and meant.extra["maxBytes"] == 400 * 1024


def test_item1_the_same_in_a_transaction(adapters):
    with pytest.raises(Exception) as caught, TransactWrite(connection=adapters.aws.pynamodb_connection) as transaction:
        transaction.save(adapters.events_table.to_model(oversized_event()))
    assert isinstance(as_domain_error(caught.value), TooLarge)


def test_other_failures_keep_their_own_meaning():
    assert as_domain_error(ValueError("x")) is None
