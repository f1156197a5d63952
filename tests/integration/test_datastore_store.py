"""Datastore items: created vs replaced, raw bytes, listing without values (moto)."""

from flyte_core.adapters import datastore_table
from flyte_core.domain.datastore import Item


def test_put_reports_created_then_replaced_and_keeps_the_latest(aws):
    assert datastore_table.put(Item("k", b"one", "text/plain", "first")) is True
    assert datastore_table.put(Item("k", b"\x00two", "application/octet-stream")) is False
    item = datastore_table.get("k")
    assert (item.value, item.content_type, item.description) == (b"\x00two", "application/octet-stream", None)


def test_list_has_no_values_and_delete_reports_missing_items(aws):
    datastore_table.put(Item("b", b"1", "text/plain"))
    datastore_table.put(Item("a", b"2", "application/json", "d"))
    listed = sorted(datastore_table.list_all(), key=lambda i: i.key)
    assert [(i.key, i.value, i.description) for i in listed] == [("a", b"", "d"), ("b", b"", None)]
    assert datastore_table.delete("a") is True
    assert datastore_table.delete("a") is False
    assert datastore_table.get("a") is None
