"""The local moto server's shortcuts (flyte_local/moto_server.py) answer byte for byte as moto would."""

from __future__ import annotations

import base64
import copy
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from moto.core.serialize import BaseJSONSerializer, XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

from flyte_local.moto_server import attribute_values_written_as_they_are, out_of_debug_mode

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_local_moto import dynamodb_request  # the benchmark's requests, as the SDK signs them

# Every kind of attribute value, as moto's DynamoDB hands it to its serializer (binary as bytes).
ITEM: dict[str, Any] = {
    "id": {"S": "flow#quick-start"},
    "empty": {"S": ""},
    "count": {"N": "42"},
    "price": {"N": "-3.50"},
    "blob": {"B": b"\x00\xffbinary"},
    "blobs": {"BS": [b"a", b"\x01\x02"]},
    "labels": {"SS": ["env", "team"]},
    "sizes": {"NS": ["1", "2.5"]},
    "nothing": {"NULL": True},
    "enabled": {"BOOL": False},
    "steps": {
        "L": [
            {"M": {"command": {"S": "Shell"}, "digest": {"B": b"\x10\x20"}, "labels": {"M": {}}}},
            {"N": "7"},
            {"L": []},
            {"BOOL": True},
        ]
    },
}
KEY = {"id": {"S": "flow#quick-start"}}
RESULTS: dict[tuple[str, str], dict[str, Any]] = {
    ("dynamodb", "GetItem"): {"Item": ITEM, "ConsumedCapacity": {"TableName": "flows", "CapacityUnits": 0.5}},
    ("dynamodb", "Query"): {"Items": [ITEM, KEY], "Count": 2, "ScannedCount": 3, "LastEvaluatedKey": KEY},
    ("dynamodb", "Scan"): {"Items": [], "Count": 0, "ScannedCount": 0},
    ("dynamodb", "BatchGetItem"): {"Responses": {"flows": [ITEM, KEY]}, "UnprocessedKeys": {}},
    ("dynamodb", "UpdateItem"): {"Attributes": ITEM},
    ("dynamodb", "TransactGetItems"): {"Responses": [{"Item": ITEM}, {}]},
    ("dynamodbstreams", "GetRecords"): {
        "Records": [
            {
                "eventID": "1",
                "eventName": "MODIFY",
                "dynamodb": {
                    "ApproximateCreationDateTime": datetime(2026, 12, 7, 17, 0, tzinfo=UTC),
                    "Keys": KEY,
                    "NewImage": ITEM,
                    "OldImage": KEY,
                    "SequenceNumber": "100",
                    "SizeBytes": 120,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
        ],
        "NextShardIterator": "shard-1",
    },
}


def response_body(service: str, operation: str) -> dict[str, Any]:
    model = get_service_model(service)
    serializer = get_serializer_class(service, model.protocol)(
        operation_model=model.operation_model(operation), pretty_print=False, value_picker=XFormedAttributePicker()
    )
    return json.loads(serializer.serialize(copy.deepcopy(RESULTS[service, operation]))["body"])


@pytest.mark.parametrize(("service", "operation"), list(RESULTS), ids=[f"{s}.{o}" for s, o in RESULTS])
def test_attribute_values_written_as_they_are_give_the_body_moto_gives(monkeypatch, service, operation):
    as_moto_writes_it = response_body(service, operation)
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", BaseJSONSerializer._serialize_type_structure)
    attribute_values_written_as_they_are()  # undone by monkeypatch after the test
    assert response_body(service, operation) == as_moto_writes_it


def test_binary_attribute_values_go_out_as_base64_as_dynamodb_sends_them(monkeypatch):
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", BaseJSONSerializer._serialize_type_structure)
    attribute_values_written_as_they_are()
    item = response_body("dynamodb", "GetItem")["Item"]
    assert item["blob"] == {"B": base64.b64encode(b"\x00\xffbinary").decode()}
    assert item["steps"]["L"][0]["M"]["digest"] == {"B": "ECA="}
    assert item["blobs"] == {"BS": ["YQ==", "AQI="]}


def test_the_servers_apps_answer_errors_as_aws_does_out_of_flasks_debug_mode():
    """moto makes its Flask apps in debug mode, which cost a tenth of each request's CPU; out of it,
    an AWS error is still DynamoDB's 400 with its JSON body, and a request moto fails on is a 500,
    after which the server goes on serving."""
    client = Client(DomainDispatcherApplication(out_of_debug_mode(create_backend_app)))
    missing = dynamodb_request(client, "GetItem", json.dumps({"TableName": "nowhere", "Key": KEY}))
    assert missing.status_code == 400
    assert missing.get_json()["__type"].endswith("ResourceNotFoundException")
    assert dynamodb_request(client, "GetItem", "{not json").status_code == 500
    listed = dynamodb_request(client, "ListTables", "{}")
    assert listed.status_code == 200 and "TableNames" in json.loads(listed.data)
