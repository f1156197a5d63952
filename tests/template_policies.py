"""The functions' own IAM statements in template.yaml, for the permission tests (SAM policy templates
and shared managed policies aside)."""

from __future__ import annotations

from typing import Any


def statements_allowing(template: dict[str, Any], service: str) -> dict[str, list[dict]]:
    """Each function's statements that allow a `<service>:` action, their Action always a list."""
    found: dict[str, list[dict]] = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if any(action.startswith(f"{service}:") for action in actions):
                    found.setdefault(name, []).append({**statement, "Action": actions})
    return found
