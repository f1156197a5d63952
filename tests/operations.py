"""What template.yaml's dashboard and alarms read (issue 25), for the tests that check them against
the metrics the code names and really emits."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flyte_local.cfn import load_template

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"
NAMESPACE = "Flyte"


def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def dashboard_body(resources: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's JSON, its ${...} substitutions replaced by their names (valid JSON either way)."""
    (dashboard,) = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    source = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    return json.loads(re.sub(r"\$\{([^}]+)\}", lambda m: m.group(1).replace('"', ""), source))


def dashboard_metric_names(body: dict[str, Any]) -> set[str]:
    """Every metric of the Flyte namespace a dashboard widget shows (metric rows and SEARCH expressions)."""
    names = set()
    for widget in body["widgets"]:
        for row in widget.get("properties", {}).get("metrics", []):
            if isinstance(row[0], str) and row[0] == NAMESPACE:
                names.add(row[1])
            for item in row:
                if isinstance(item, dict) and "expression" in item:
                    expression = item["expression"]
                    if "{" + NAMESPACE + "," in expression:
                        names.update(re.findall(r'MetricName="([^"]+)"', expression))
    return names


def alarm_metric_names(resources: dict[str, Any]) -> set[str]:
    names = set()
    for resource in resources.values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        properties = resource["Properties"]
        if properties.get("Namespace") == NAMESPACE:
            names.add(properties["MetricName"])
        for metric in properties.get("Metrics", []):
            stat = metric.get("MetricStat", {}).get("Metric", {})
            if stat.get("Namespace") == NAMESPACE:
                names.add(stat["MetricName"])
    return names


def engine_metric_names() -> set[str]:
    """Every Flyte metric the dashboard or an alarm reads."""
    resources = template()["Resources"]
    return dashboard_metric_names(dashboard_body(resources)) | alarm_metric_names(resources)
