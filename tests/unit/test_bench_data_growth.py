"""The data growth figures in docs/operating.md (bench/bench_data_growth.py) size each index entry as
DynamoDB bills it: an item is in an index only with the index's keys, and an INCLUDE index holds only
the keys and the attributes it lists; the indexes template.yaml marks for removal are priced apart."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_data_growth as growth
from cost_table import Index

from flyte_local.application import TEMPLATE

TABLE_KEYS = frozenset({"id"})
BY_FLOW_SHARD = Index(frozenset({"flowShard", "createdAt"}), "INCLUDE", frozenset({"name"}))
ACTION = {
    "id": {"S": "a1"},
    "flowShard": {"S": "growth#3"},
    "createdAt": {"S": "2026-12-07T11:31:52Z"},
    "name": {"S": "Shell"},
    "input": {"S": "x" * 500},
}


def test_an_include_index_entry_holds_the_keys_and_the_listed_attributes_only():
    entry = growth.index_entry(ACTION, TABLE_KEYS, BY_FLOW_SHARD)
    assert entry == {name: ACTION[name] for name in ("id", "flowShard", "createdAt", "name")}
    found = growth.figures([ACTION], TABLE_KEYS, {"byFlowShard": BY_FLOW_SHARD})
    assert found.indexed["byFlowShard"] == growth.item_size(entry) + 100  # not the 500-byte input
    assert found.stored == growth.item_size(ACTION) + 100


def test_an_item_without_the_index_key_is_not_in_it():
    trace = {"id": {"S": "trace#e1"}, "recordType": {"S": "trace"}, "trace": {"S": "[]"}}
    assert growth.index_entry(trace, TABLE_KEYS, BY_FLOW_SHARD) is None
    everything = Index(frozenset({"flowShard", "createdAt"}), "ALL", frozenset())
    assert growth.figures([trace], TABLE_KEYS, {"byFlowShard": BY_FLOW_SHARD, "all": everything}).indexed == {
        "byFlowShard": 0,
        "all": 0,
    }
    assert growth.index_entry(ACTION, TABLE_KEYS, everything) == ACTION


def test_the_indexes_the_template_retires_are_those_the_next_release_removes():
    assert growth.retired_indexes(TEMPLATE.read_text(encoding="utf-8")) == {
        ("PacksTable", "byName"),
        ("EventsTable", "byPack"),
        ("ActionsTable", "byFlow"),
    }
