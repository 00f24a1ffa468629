"""The emulator's DynamoDB ExportTableToPointInTime: AWS's layout of an export in S3.

moto 5.2.5 wrote one ``data/<uuid>.gz`` object and no manifest, under a directory unrelated
to an ARN that named the whole table ARN and ``import``; it read the items after the call
returned, and DescribeExport lacked the manifest's key and the times
(strata_emulator/patches/dynamodb_export.py). Each case is checked against what the DynamoDB
developer guide ("DynamoDB table export output format") says AWS writes and answers.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import threading
import time
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from strata_emulator import patches
from strata_emulator.patches import dynamodb_export

EVERY_TYPE = {
    "pk": {"S": "every-type"}, "s": {"S": "héllo ✓"}, "n": {"N": "-12.5"}, "b": {"B": b"\x00\xff"},
    "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"\x01", b"\x02"]},
    "m": {"M": {"x": {"L": [{"NULL": True}, {"BOOL": False}]}}},
}


@pytest.fixture
def clients(aws_session):
    no_retries = Config(retries={"total_max_attempts": 1})
    return aws_session.client("dynamodb", config=no_retries), aws_session.client("s3", config=no_retries)


@pytest.fixture
def table(clients):
    ddb, _s3 = clients
    name = f"export-{uuid.uuid4().hex[:10]}"
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    ddb.update_continuous_backups(TableName=name,
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    yield name
    ddb.delete_table(TableName=name)


@pytest.fixture
def bucket(clients):
    _ddb, s3 = clients
    name = f"exports-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def _export(ddb, table, bucket, **extra):
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    started = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ExportFormat="DYNAMODB_JSON", **extra)
    description = started["ExportDescription"]
    for _attempt in range(200):
        description = ddb.describe_export(ExportArn=description["ExportArn"])["ExportDescription"]
        if description["ExportStatus"] != "IN_PROGRESS":
            return started["ExportDescription"], description
        time.sleep(0.05)
    raise AssertionError(f"the export never finished: {description}")


def _read(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_apply_all_names_the_patch():
    assert "dynamodb_export" in patches.apply_all()


def test_an_export_is_laid_out_and_described_as_aws_does(clients, table, bucket):
    ddb, s3 = clients
    items = [EVERY_TYPE] + [{"pk": {"S": f"item-{i:03d}"}, "n": {"N": str(i)}} for i in range(40)]
    for item in items:
        ddb.put_item(TableName=table, Item=item)
    started, done = _export(ddb, table, bucket, S3Prefix="backups/dev")

    export_id = done["ExportArn"].rsplit("/", 1)[1]
    assert re.fullmatch(r"\d{13}-[0-9a-f]{8}", export_id), export_id
    assert done["ExportArn"] == f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}/export/{export_id}"
    assert started["ExportStatus"] == "IN_PROGRESS" and "ItemCount" not in started
    assert done["ExportStatus"] == "COMPLETED" and done["ItemCount"] == len(items)
    assert done["ExportFormat"] == "DYNAMODB_JSON" and done["ExportType"] == "FULL_EXPORT"
    assert done["StartTime"] <= done["EndTime"] and done["ExportTime"] == done["StartTime"]
    export_dir = f"backups/dev/AWSDynamoDB/{export_id}"
    assert done["ExportManifest"] == f"{export_dir}/manifest-summary.json"

    keys = {o["Key"]: o for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {f"{export_dir}/{name}" for name in ("_started", "manifest-summary.json", "manifest-summary.checksum",
                                                 "manifest-files.json", "manifest-files.checksum")} <= set(keys)
    summary_json = _read(s3, bucket, done["ExportManifest"])
    summary = json.loads(summary_json)
    assert _read(s3, bucket, f"{export_dir}/manifest-summary.checksum").decode() == hashlib.md5(summary_json).hexdigest()
    assert summary["exportArn"] == done["ExportArn"] and summary["itemCount"] == len(items)
    assert summary["tableArn"].endswith(f":table/{table}") and summary["outputFormat"] == "DYNAMODB_JSON"
    assert summary["manifestFilesS3Key"] == f"{export_dir}/manifest-files.json"
    files_json = _read(s3, bucket, summary["manifestFilesS3Key"])
    assert _read(s3, bucket, f"{export_dir}/manifest-files.checksum").decode() == hashlib.md5(files_json).hexdigest()
    files = [json.loads(line) for line in files_json.splitlines()]
    assert len(files) >= 2 and sum(f["itemCount"] for f in files) == len(items)

    exported = []
    for entry in files:
        key = entry["dataFileS3Key"]
        assert re.fullmatch(rf"{export_dir}/data/[a-z2-7]{{26}}\.json\.gz", key), key
        body = _read(s3, bucket, key)
        digest = hashlib.md5(body).digest()
        assert entry["md5Checksum"] == base64.b64encode(digest).decode()
        # A one-part multipart upload: the ETag is the MD5 of the part's MD5, then -1.
        assert entry["etag"] == f"{hashlib.md5(digest).hexdigest()}-1" == keys[key]["ETag"].strip('"')
        lines = gzip.decompress(body).splitlines() if body else []
        assert len(lines) == entry["itemCount"]
        exported += [json.loads(line) for line in lines]
    by_key = {line["Item"]["pk"]["S"]: line["Item"] for line in exported}
    assert by_key["every-type"]["b"] == {"B": base64.b64encode(b"\x00\xff").decode()}
    assert set(by_key) == {item["pk"]["S"] for item in items}


def test_a_small_table_has_empty_partitions_and_an_empty_one_exports(clients, table, bucket):
    ddb, s3 = clients
    ddb.put_item(TableName=table, Item={"pk": {"S": "only"}})
    _started, done = _export(ddb, table, bucket, S3Prefix="one")
    files_key = done["ExportManifest"].replace("manifest-summary.json", "manifest-files.json")
    files = [json.loads(line) for line in _read(s3, bucket, files_key).splitlines()]
    assert sorted(f["itemCount"] for f in files) == [0, 1]
    empty = next(f for f in files if f["itemCount"] == 0)
    assert s3.head_object(Bucket=bucket, Key=empty["dataFileS3Key"])["ContentLength"] == 0

    ddb.delete_item(TableName=table, Key={"pk": {"S": "only"}})
    _started, done = _export(ddb, table, bucket)  # no S3Prefix: the objects start with AWSDynamoDB/
    assert done["ItemCount"] == 0 and done["ExportManifest"].startswith("AWSDynamoDB/")


def test_a_large_table_spreads_over_partitions(clients, table, bucket, monkeypatch):
    ddb, s3 = clients
    monkeypatch.setattr(dynamodb_export, "ITEMS_PER_PARTITION", 10)
    count = 25
    for start in range(0, count, 25):
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}}
                                                   for i in range(start, min(start + 25, count))]})
    _started, done = _export(ddb, table, bucket, S3Prefix="large")
    files_key = done["ExportManifest"].replace("manifest-summary.json", "manifest-files.json")
    files = [json.loads(line) for line in _read(s3, bucket, files_key).splitlines()]
    assert len(files) == 3 and sum(f["itemCount"] for f in files) == count == done["ItemCount"]


def test_the_export_holds_the_table_as_of_the_call(clients, table, bucket, monkeypatch):
    ddb, s3 = clients
    ddb.put_item(TableName=table, Item={"pk": {"S": "before"}})
    gate = threading.Event()
    original = dynamodb_export.StrataTableExport._backup_to_s3_file

    def held(self, s3_backend):
        gate.wait(5)
        return original(self, s3_backend)

    monkeypatch.setattr(dynamodb_export.StrataTableExport, "_backup_to_s3_file", held)
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    started = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="pit")["ExportDescription"]
    ddb.put_item(TableName=table, Item={"pk": {"S": "after"}})
    gate.set()
    for _attempt in range(200):
        done = ddb.describe_export(ExportArn=started["ExportArn"])["ExportDescription"]
        if done["ExportStatus"] == "COMPLETED":
            break
        time.sleep(0.05)
    assert done["ItemCount"] == 1


def test_the_data_files_keep_the_buckets_default_retention(clients, table):
    ddb, s3 = clients
    vault = f"locked-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=vault, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=vault, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "x"}})
    _started, done = _export(ddb, table, vault, S3Prefix="locked")
    for obj in s3.list_objects_v2(Bucket=vault)["Contents"]:
        assert s3.head_object(Bucket=vault, Key=obj["Key"]).get("ObjectLockMode") == "GOVERNANCE", obj["Key"]


def test_unknown_exports_and_tables_without_recovery_are_refused(clients, table, bucket):
    ddb, _s3 = clients
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    with pytest.raises(ClientError) as missing:
        ddb.describe_export(ExportArn=f"{arn}/export/01700000000000-00000000")
    assert missing.value.response["Error"]["Code"] == "ExportNotFoundException"
    ddb.update_continuous_backups(TableName=table,
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    with pytest.raises(ClientError) as off:
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket)
    assert off.value.response["Error"]["Code"] == "PointInTimeRecoveryUnavailableException"
