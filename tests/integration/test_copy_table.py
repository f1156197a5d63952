"""scripts/copy_table.py, the README's way back from a point-in-time restore and into a replacement
table: every item copied as it is (binary values too), or only the missing ones."""

from __future__ import annotations

from flyte_local import application
from scripts.copy_table import main

DATASTORE = application.physical_name("DatastoreTable")
RESTORED = f"{DATASTORE}-restored"


def item(key: str, value: bytes, stamp: str) -> dict:
    return {"key": {"S": key}, "value": {"B": value}, "contentType": {"S": "application/octet-stream"}, "updatedAt": {"S": stamp}}


def test_a_restored_table_is_copied_back_whole_or_only_what_is_missing(aws, capsys):
    dynamodb = aws.client("dynamodb")
    dynamodb.create_table(
        TableName=RESTORED,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
    )
    for number in range(60):  # more than one batch of 25
        dynamodb.put_item(TableName=RESTORED, Item=item(f"k{number}", bytes([0, number, 255]), "backup"))
    dynamodb.put_item(TableName=DATASTORE, Item=item("k1", b"changed since", "live"))

    assert main([RESTORED, DATASTORE, "--missing-only", "--endpoint-url", aws.endpoint]) == 0
    assert "59 items written, 1 kept as they were" in capsys.readouterr().out
    live = dynamodb.get_item(TableName=DATASTORE, Key={"key": {"S": "k1"}})["Item"]
    assert live["value"]["B"] == b"changed since"
    assert dynamodb.get_item(TableName=DATASTORE, Key={"key": {"S": "k7"}})["Item"] == item("k7", bytes([0, 7, 255]), "backup")

    assert main([RESTORED, DATASTORE, "--endpoint-url", aws.endpoint]) == 0
    assert "60 items written, 0 kept" in capsys.readouterr().out
    assert dynamodb.get_item(TableName=DATASTORE, Key={"key": {"S": "k1"}})["Item"]["value"]["B"] == bytes([0, 1, 255])


def test_a_missing_table_is_an_error_that_says_so(aws, capsys):
    assert main(["no-such-table", DATASTORE, "--endpoint-url", aws.endpoint]) == 1
    error = capsys.readouterr().err
    assert error.startswith("copy_table: ") and "ResourceNotFoundException" in error
