"""Issue 25: /health says which dependency failed, not only that one did."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

EVENTS = Path(__file__).resolve().parents[2] / "events"


def health_request() -> dict:
    event = json.loads((EVENTS / "info-get-v1.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/health"
    event["routeKey"] = event["requestContext"]["routeKey"] = "GET /health"
    return event


def test_health_is_200_when_every_table_answers(invoke_handler):
    assert invoke_handler("InfoFunction", health_request())["statusCode"] == 200


def test_health_names_the_table_that_does_not_answer(invoke_handler, aws, settings):
    dynamodb = boto3.client("dynamodb", endpoint_url=aws.endpoint, region_name=settings.aws.region)
    dynamodb.delete_table(TableName=settings.tables.events)
    response = invoke_handler("InfoFunction", health_request())
    assert response["statusCode"] == 503
    body = json.loads(response["body"])
    assert body["failed"] == [{"dependency": "EventsTable", "error": "ResourceNotFoundException"}]
    assert "EventsTable" in body["detail"] and "PacksTable" not in body["detail"]
