"""The emulator's DynamoDB ImportTable: DYNAMODB_JSON read line by line, as AWS reads it.

moto 5.2.5 parsed each imported object with a parser that stops at an empty map, so a file
holding ``{"M": {}}`` imported no item at all and still reported COMPLETED
(strata_emulator/patches/dynamodb_import.py).
"""

from __future__ import annotations

import gzip
import json
import time
import uuid

import pytest


@pytest.fixture
def clients(aws_session):
    return aws_session.client("dynamodb"), aws_session.client("s3")


def _import(ddb, s3, lines):
    bucket, table = f"imports-{uuid.uuid4().hex[:10]}", f"imported-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="items.json.gz", Body=gzip.compress("".join(lines).encode()))
    arn = ddb.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "items.json.gz"}, InputFormat="DYNAMODB_JSON",
        InputCompressionType="GZIP",
        TableCreationParameters={"TableName": table, "BillingMode": "PAY_PER_REQUEST",
                                 "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                 "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]},
    )["ImportTableDescription"]["ImportArn"]
    for _attempt in range(50):
        described = ddb.describe_import(ImportArn=arn)["ImportTableDescription"]
        if described["ImportStatus"] != "IN_PROGRESS":
            return table, described
        time.sleep(0.1)
    raise AssertionError(f"import {arn} did not finish")


def test_empty_maps_and_lists_import_with_every_other_item(clients):
    ddb, s3 = clients
    items = [{"pk": {"S": "empty"}, "m": {"M": {}}, "l": {"L": [{"M": {}}, {"L": []}]}},
             {"pk": {"S": "plain"}, "n": {"N": "1"}}]
    table, described = _import(ddb, s3, [json.dumps({"Item": item}) + "\n" for item in items])
    assert (described["ImportStatus"], described["ImportedItemCount"], described["ErrorCount"]) == ("COMPLETED", 2, 0)
    scanned = sorted(ddb.scan(TableName=table)["Items"], key=lambda item: item["pk"]["S"])
    assert scanned == items
    ddb.delete_table(TableName=table)


def test_a_line_that_is_not_an_item_is_an_error_and_fails_the_import(clients):
    ddb, s3 = clients
    table, described = _import(ddb, s3, ['{"Item":{"pk":{"S":"a"}}}\n', '{"pk":{"S":"b"}}\n'])
    assert (described["ImportStatus"], described["ImportedItemCount"], described["ErrorCount"]) == ("FAILED", 1, 1)
    ddb.delete_table(TableName=table)
