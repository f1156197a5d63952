"""Reading a CloudFormation/SAM template: YAML with intrinsic-function tags, and resolving them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

_TAGS = (
    "Ref",
    "Sub",
    "GetAtt",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "Base64",
    "GetAZs",
    "ImportValue",
    "Condition",
)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml's parser where PyYAML has it
    """SafeLoader that turns `!Ref x` into {"Ref": x} and `!GetAtt a.b` into {"Fn::GetAtt": [a, b]}.
    libyaml's reads template.yaml in a tenth of the time: every local stack and many tests read it."""


def _intrinsic(tag: str) -> Callable[[yaml.Loader, yaml.Node], Any]:
    key = "Ref" if tag == "Ref" else ("Condition" if tag == "Condition" else f"Fn::{tag}")

    def construct(loader: yaml.Loader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            assert isinstance(node, yaml.MappingNode)  # YAML has no fourth kind of node
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    return construct


for _tag in _TAGS:
    _Loader.add_constructor(f"!{_tag}", _intrinsic(_tag))


def load_template(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)


class UnsupportedIntrinsic(Exception):
    pass


# `!Ref AWS::NoValue`: the property (or list item) it stands for is left out, as CloudFormation does.
NO_VALUE = {"Ref": "AWS::NoValue"}
TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")


def table_properties(template: dict[str, Any], parameters: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The properties of each table resource (by logical id) as a stack deploys them with these
    parameter values (the others: their defaults): conditions (`!If`, `AWS::NoValue`) resolved, such
    as IndexUpgradeStep's choice of indexes."""
    values = {name: str(spec.get("Default", "")) for name, spec in (template.get("Parameters") or {}).items()}
    resolver = Resolver({**values, **(parameters or {})}, {}, {}, template.get("Conditions") or {})
    return {
        logical_id: resolver.resolve(resource.get("Properties") or {})
        for logical_id, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") in TABLE_TYPES
    }


_LEFT_OUT = object()


class Resolver:
    """Resolves intrinsic functions against parameters, pseudo parameters and local physical names."""

    def __init__(
        self,
        parameters: Mapping[str, Any],
        refs: Mapping[str, Any],
        attributes: Mapping[tuple[str, str], Any],
        conditions: Mapping[str, Any] | None = None,
    ):
        self.parameters = parameters
        self.refs = refs
        self.attributes = attributes
        self.conditions = conditions or {}
        self._evaluated: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        """A named condition of the template's `Conditions` section."""
        if name not in self._evaluated:
            if name not in self.conditions:
                raise UnsupportedIntrinsic(f"the template has no condition {name!r}")
            self._evaluated[name] = bool(self.resolve(self.conditions[name]))
        return self._evaluated[name]

    def resolve(self, value: Any) -> Any:
        """The value resolved; `AWS::NoValue` (at the top: None) leaves its list item or key out."""
        resolved = self._resolve(value)
        return None if resolved is _LEFT_OUT else resolved

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in map(self._resolve, value) if item is not _LEFT_OUT]
        if not isinstance(value, dict):
            return value
        if value == NO_VALUE:
            return _LEFT_OUT
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Fn::GetAtt":
                logical, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                if (logical, attribute) not in self.attributes:
                    raise UnsupportedIntrinsic(f"the local stack has no value for !GetAtt {logical}.{attribute}")
                return self.attributes[(logical, attribute)]
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if key == "Fn::If":
                name, when_true, when_false = argument
                return self._resolve(when_true if self.condition(name) else when_false)
            if key == "Condition" and isinstance(argument, str):
                return self.condition(argument)
            if key == "Fn::Equals":
                left, right = (self.resolve(item) for item in argument)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(argument[0])
            if key == "Fn::Or":
                return any(self.resolve(item) for item in argument)
            if key == "Fn::And":
                return all(self.resolve(item) for item in argument)
            if key.startswith("Fn::"):
                raise UnsupportedIntrinsic(f"the local stack does not evaluate {key}")
        resolved = {key: self._resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _LEFT_OUT}

    def _ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        raise UnsupportedIntrinsic(f"the local stack has no value for !Ref {name}")

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], self.resolve(argument[1]))

        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                logical, attribute = name.split(".", 1)
                return str(self.resolve({"Fn::GetAtt": [logical, attribute]}))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}!][^}]*)\}", replace, text)
