"""Datastore items: created vs replaced, raw bytes, listing without values (moto)."""

from flyte_core.domain.datastore import Item


def test_put_reports_created_then_replaced_and_keeps_the_latest(adapters):
    items = adapters.datastore_table
    assert items.put(Item("k", b"one", "text/plain", "first")) is True
    assert items.put(Item("k", b"\x00two", "application/octet-stream")) is False
    item = items.get("k")
    assert (item.value, item.content_type, item.description) == (b"\x00two", "application/octet-stream", None)


def test_list_has_no_values_and_delete_reports_missing_items(adapters):
    items = adapters.datastore_table
    items.put(Item("b", b"1", "text/plain"))
    items.put(Item("a", b"2", "application/json", "d"))
    listed = sorted(items.list_all(), key=lambda i: i.key)
    assert [(i.key, i.value, i.description) for i in listed] == [("a", b"", "d"), ("b", b"", None)]
    assert items.delete("a") is True
    assert items.delete("a") is False
    assert items.get("a") is None
