"""The YAML half of the input bounds (bounds.py): PyYAML's safe loader held to them. A module of its
own so that PyYAML is imported only when a YAML document arrives."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml

from .bounds import _INTEGER_DIGITS, MAX_DEPTH, MAX_INTEGER, MAX_YAML_EXPANSION, _Refused
from .errors import InvalidInput


class BoundedYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader (YAML 1.1, as the original) with the bounds: scanning and composing stop
    past MAX_DEPTH (the composer recurses), the expanded document is measured before it is constructed
    (an alias bomb is small as text and huge as data), and YAML-only types become JSON values or
    marked refusals."""

    what = "request body"

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def fetch_flow_collection_start(self, token_class: Any) -> None:
        # The scanner looks up to 1,024 characters ahead for every open `[`/`{` (possible simple
        # keys): ten thousand of them cost a second before the composer ever sees the depth.
        if self.flow_level >= MAX_DEPTH:
            mark = self.get_mark()
            raise InvalidInput(
                f"The {self.what} nests deeper than {MAX_DEPTH} levels.",
                maxDepth=MAX_DEPTH,
                line=mark.line + 1,
                column=mark.column + 1,
            )
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise InvalidInput(
                    f"The {self.what} nests deeper than {MAX_DEPTH} levels.",
                    maxDepth=MAX_DEPTH,
                    line=mark.line + 1,
                    column=mark.column + 1,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node, self.what)
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:
        """SafeConstructor's, with keys turned to text as they are read (so `1` and `true` stay two keys)."""
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, f"expected a mapping node, but found {node.id}", node.start_mark)
        self.flatten_mapping(node)
        mapping = {}
        for key_node, value_node in node.value:
            key = _yaml_key(self.construct_object(key_node, deep=deep))
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    # Both constructors deliberately return other types than PyYAML's (a marker the check reports; the text).
    def construct_yaml_int(self, node: Any) -> int | _Refused:  # type: ignore[override]
        text = str(node.value).replace("_", "")
        if len(text.lstrip("+-")) > _INTEGER_DIGITS + 2:  # also bounds the work of base-60 and hex forms
            return _Refused(f"the integer {text[:20]}... is beyond ±{MAX_INTEGER}")
        number = super().construct_yaml_int(node)
        return number if abs(number) <= MAX_INTEGER else _Refused(f"the integer is beyond ±{MAX_INTEGER}")

    def construct_yaml_timestamp(self, node: Any) -> str:  # type: ignore[override]
        return str(node.value)  # the text as written, as the original's YAML-to-JSON conversion gives it

    def construct_refused(self, node: Any) -> _Refused:
        return _Refused(f"YAML type {node.tag.rsplit(':', 1)[-1]} has no JSON equivalent")


BoundedYamlLoader.add_constructor("tag:yaml.org,2002:int", BoundedYamlLoader.construct_yaml_int)
BoundedYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", BoundedYamlLoader.construct_yaml_timestamp)
for _tag in ("binary", "set", "omap", "pairs"):
    BoundedYamlLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", BoundedYamlLoader.construct_refused)


def _yaml_key(key: Any) -> Any:
    """Keys as the original's YAML-to-JSON conversion writes them: scalars become their text."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return str(key)
    return key


def _check_expansion(root: Any, what: str) -> None:
    """Size and depth of the document with every alias expanded, without expanding it (each node
    is measured once, post-order, iteratively); a node that contains itself is refused."""
    weight: dict[int, int] = {}
    height: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if not children_done:
            if key in weight:
                continue
            if key in on_path:
                raise InvalidInput(
                    f"The {what} has an alias that contains itself (line {node.start_mark.line + 1}).",
                    line=node.start_mark.line + 1,
                    column=node.start_mark.column + 1,
                )
            on_path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))
            continue
        on_path.discard(key)
        children = list(_children(node))
        weight[key] = 1 + (len(node.value) if isinstance(node, yaml.ScalarNode) else 0) + sum(weight[id(c)] for c in children)
        height[key] = (1 if isinstance(node, yaml.CollectionNode) else 0) + max((height[id(c)] for c in children), default=0)
        if weight[key] > MAX_YAML_EXPANSION:
            raise InvalidInput(
                f"The {what} expands, with its aliases, past {MAX_YAML_EXPANSION} nodes and characters.",
                maxExpansion=MAX_YAML_EXPANSION,
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
            )
        if height[key] > MAX_DEPTH:
            raise InvalidInput(
                f"The {what} nests, with its aliases, deeper than {MAX_DEPTH} levels.",
                maxDepth=MAX_DEPTH,
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
            )


def _children(node: Any) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
