"""Datastore items: created vs replaced, raw bytes, listing without values (moto)."""

from flyte_core.datastore import Item
from flyte_core.storage import datastore as item_store


def test_put_reports_created_then_replaced_and_keeps_the_latest(aws):
    assert item_store.put(Item("k", b"one", "text/plain", "first")) is True
    assert item_store.put(Item("k", b"\x00two", "application/octet-stream")) is False
    item = item_store.get("k")
    assert (item.value, item.content_type, item.description) == (b"\x00two", "application/octet-stream", None)


def test_list_has_no_values_and_delete_reports_missing_items(aws):
    item_store.put(Item("b", b"1", "text/plain"))
    item_store.put(Item("a", b"2", "application/json", "d"))
    listed = sorted(item_store.list_all(), key=lambda i: i.key)
    assert [(i.key, i.value, i.description) for i in listed] == [("a", b"", "d"), ("b", b"", None)]
    assert item_store.delete("a") is True
    assert item_store.delete("a") is False
    assert item_store.get("a") is None
