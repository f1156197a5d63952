"""Files and values the user hands the CLI: flow documents, events, payloads (JSON or YAML)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
import yaml

JSON_TYPE = "application/json"
YAML_TYPE = "application/x-yaml"


def read_text(path: str, option: str) -> str:
    """A file's text, or stdin for `-`; a missing file is a usage error (exit 2)."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise typer.BadParameter(f"cannot read {path}: {error.strerror or error}", param_hint=option) from None


def read_bytes(path: str, option: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise typer.BadParameter(f"cannot read {path}: {error.strerror or error}", param_hint=option) from None


def body_type(text: str) -> str:
    """JSON when the text is JSON, else YAML: the server parses each (YAML 1.1, as the original)."""
    try:
        json.loads(text)
    except ValueError:
        return YAML_TYPE
    return JSON_TYPE


def parse(text: str, option: str) -> Any:
    """A JSON or YAML document as data (to embed in a request body); unreadable is a usage error."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise typer.BadParameter(f"neither JSON nor YAML: {error}", param_hint=option) from None


def load(path: str, option: str) -> Any:
    return parse(read_text(path, option), option)


def payload(value: str | None) -> Any:
    """`--payload JSON` or `--payload @FILE` (`@-` for stdin): the event's payload."""
    if value is None:
        return None
    text = read_text(value[1:], "--payload") if value.startswith("@") else value
    try:
        return json.loads(text)
    except ValueError as error:
        raise typer.BadParameter(f"not JSON: {error}", param_hint="--payload") from None


def pairs(values: list[str], option: str) -> dict[str, str]:
    """`K=V` options as a mapping."""
    result = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {value!r}", param_hint=option)
        result[key] = rest
    return result
