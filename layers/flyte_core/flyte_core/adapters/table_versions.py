"""Version markers: one item per table whose content the step matcher caches (issue 21).

Every change a cached lookup depends on - a flow saved or deleted (its triggers), a pack registered
or removed (the packs of a name) - also writes its table's marker: a new random `token` (and a
counter for people). The step matcher reads the markers (strongly consistent GetItem, once per batch
and only when it looks something up) instead of the lookups themselves, and keeps a lookup while
the token it was read under is still the marker's. A random token, not the counter alone: a table
restored from a backup, or emptied and written again, may count back to a number seen before.

The markers live in the tables they describe, under keys no record can have: the flow triggers
table's keys are JSON arrays (`["pack", "event"]`), so `#version` is none of them; a pack id is
built from names that refuse control characters (`domain.bounds`), so `\\x00version` is none.
Neither marker carries an attribute any index of its table is keyed on, so no index holds them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from ..domain import times

FLOW_TRIGGERS_MARKER = "#version"  # trigger (hash key) of the flow triggers table's marker; flowName "#"
PACKS_MARKER = "\x00version"  # id of the packs table's marker


@dataclass(frozen=True)
class Version:
    token: str  # "" when the marker was never written (a new stack): the first change writes one
    changed_at: datetime | None


class _FlowTriggersMarker(Model):
    trigger = UnicodeAttribute(hash_key=True)
    flowName = UnicodeAttribute(range_key=True)
    token = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    changedAt = UTCDateTimeAttribute(null=True)


class _PacksMarker(Model):
    id = UnicodeAttribute(hash_key=True)
    token = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    changedAt = UTCDateTimeAttribute(null=True)


class TableVersion:
    """The marker of one table: `bump()` after (or with) a change, `read()` before trusting a cache."""

    def __init__(self, model: type[Model], hash_key: str, range_key: str | None = None) -> None:
        self._model, self._hash_key, self._range_key = model, hash_key, range_key

    def _item(self) -> Any:
        return self._model(self._hash_key, self._range_key)

    def bump_actions(self) -> list[Any]:
        """The update actions that mark a change (for a transaction of the change itself)."""
        model: Any = self._model
        return [model.token.set(uuid.uuid4().hex), model.version.add(1), model.changedAt.set(times.now())]

    def bump(self) -> None:
        """Mark a change: an UpdateItem that creates the marker if needed (SET token, ADD version)."""
        self._item().update(actions=self.bump_actions())

    def transaction_item(self) -> Any:
        return self._item()

    @property
    def table_name(self) -> str:
        return str(self._model.Meta.table_name)

    def key(self) -> dict[str, Any]:
        """The marker's key as DynamoDB's low-level API takes it (for one BatchGetItem over several tables)."""
        model: Any = self._model
        key = {model._hash_key_attribute().attr_name: {"S": self._hash_key}}
        if self._range_key is not None:
            key[model._range_key_attribute().attr_name] = {"S": self._range_key}
        return key

    def from_item(self, item: dict[str, Any] | None) -> Version:
        """The version a low-level item says (None: the marker was never written)."""
        if not item:
            return Version("", None)
        changed = item.get("changedAt", {}).get("S")
        model: Any = self._model
        return Version(item.get("token", {}).get("S", ""), model.changedAt.deserialize(changed) if changed else None)

    def read(self) -> Version:
        """The marker now (strongly consistent: a change whose call returned is seen)."""
        try:
            item: Any = self._model.get(self._hash_key, self._range_key, consistent_read=True)
        except DoesNotExist:
            return Version("", None)
        return Version(item.token or "", item.changedAt)


def flow_triggers_version(triggers_model: type[Model]) -> TableVersion:
    """The marker in the flow triggers table that `triggers_model` is bound to (its Meta: name, endpoint)."""
    model = type("FlowTriggersMarker", (_FlowTriggersMarker,), {"Meta": triggers_model.Meta, "__module__": __name__})
    return TableVersion(model, FLOW_TRIGGERS_MARKER, "#")


def packs_version(packs_model: type[Model]) -> TableVersion:
    """The marker in the packs table that `packs_model` is bound to."""
    model = type("PacksMarker", (_PacksMarker,), {"Meta": packs_model.Meta, "__module__": __name__})
    return TableVersion(model, PACKS_MARKER)
