"""Step outcomes (`fired` or `skipped`, with the first check that stopped a step) as table cells.

The shape is the one the dry run, the event traces and the replay all answer with:
`{"id", "outcome", "reason", "detail", "context", "command": {"packName", "name", "packLabels", "input"}}`.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from .output import compact, labels

STYLES = {"fired": "green", "skipped": "yellow"}


def outcome_cell(step: dict[str, Any] | None) -> Text:
    if not step:
        return Text("-")
    return Text(str(step.get("outcome", "")), style=STYLES.get(str(step.get("outcome")), ""))


def command_cell(step: dict[str, Any] | None) -> str:
    command = (step or {}).get("command")
    if not command:
        return ""
    pack = command.get("packName", "")
    if command.get("packLabels"):
        pack += "{" + labels(command["packLabels"]) + "}"
    return f"{pack}.{command.get('name', '')} {compact(command.get('input'))}".strip()


def summary(step: dict[str, Any] | None) -> Text:
    """One cell for a whole outcome (replay's before/after): fired with its command, or why not."""
    if not step:
        return Text("- (no such step)", style="dim")
    cell = outcome_cell(step)
    if step.get("outcome") == "fired":
        cell.append(" " + command_cell(step))
    elif step.get("reason"):
        cell.append(f" {step['reason']}" + (f": {step['detail']}" if step.get("detail") else ""))
    return cell


def row(step: dict[str, Any]) -> list[Any]:
    """STEP, OUTCOME, REASON, DETAIL, COMMAND."""
    return [step.get("id", ""), outcome_cell(step), step.get("reason") or "", step.get("detail") or "", command_cell(step)]
