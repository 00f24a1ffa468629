"""The data the teardown scenario writes before a teardown and expects back after a restore.

    scenario_data.py write | check-deployed | check-torn-down | check-restored
"""
from __future__ import annotations

import sys

import boto3

REGION = "us-east-1"
TABLE = "molecule-visits-local"
SITE = "molecule-site-local"
LOGS = "molecule-logs-local"
STATE_BUCKET_PREFIX = "molecule-tfstate-"

ITEMS = [
    {"stat": {"S": "Quantity"}, "viewCount": {"N": "41"}},
    {
        "stat": {"S": "every-type"},
        "s": {"S": "héllo wörld ✓ 🚀"},
        "n": {"N": "-12345678901234567890.123456789"},
        "b": {"B": bytes([0, 255, 128, 10, 13])},
        "ss": {"SS": ["a", "ß", "🚀"]},
        "ns": {"NS": ["1", "-2.5", "1E+10"]},
        "bs": {"BS": [b"\x00", b"\xff\xfe"]},
        "m": {"M": {"nested": {"M": {"list": {"L": [{"N": "1"}, {"S": "x"}, {"NULL": True}]}}}}},
        "l": {"L": [{"BOOL": True}, {"BOOL": False}, {"M": {}}, {"L": []}]},
        "yes": {"BOOL": True},
        "nothing": {"NULL": True},
    },
] + [{"stat": {"S": f"bulk-{i:04d}"}, "value": {"N": str(i * 7)}, "tag": {"S": "batch"}} for i in range(250)]

OBJECTS = {
    (SITE, "data/blob.bin"): dict(Body=bytes(range(256)) * 64, ContentType="application/octet-stream",
                                  Metadata={"owner": "strata", "purpose": "round-trip"}),
    (SITE, "data/report.json"): dict(Body=b'{"visits": 41}', ContentType="application/json",
                                     CacheControl="no-cache", Metadata={"generated-by": "scenario"}),
    (LOGS, "cf/E2EXAMPLE.2026-11-22-10.abcd1234.gz"): dict(Body=b"\x1f\x8b\x08\x00fake-log", ContentType="application/x-gzip"),
}


def clients():
    return boto3.client("dynamodb", region_name=REGION), boto3.client("s3", region_name=REGION)


def write() -> None:
    dynamodb, s3 = clients()
    for item in ITEMS:
        dynamodb.put_item(TableName=TABLE, Item=item)
    for (bucket, key), args in OBJECTS.items():
        s3.put_object(Bucket=bucket, Key=key, **args)
    print(f"wrote {len(ITEMS)} items and {len(OBJECTS)} objects")


def _normalise(value):
    """Sets come back in any order; compare them as sets."""
    if isinstance(value, dict):
        return {k: (sorted(v) if k in ("SS", "NS", "BS") else _normalise(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def check_data() -> None:
    dynamodb, s3 = clients()
    for item in ITEMS:
        got = dynamodb.get_item(TableName=TABLE, Key={"stat": item["stat"]}, ConsistentRead=True).get("Item")
        assert got is not None, f"item {item['stat']['S']} is missing"
        assert _normalise(got) == _normalise(item), f"item {item['stat']['S']} differs: {got} != {item}"
    for (bucket, key), args in OBJECTS.items():
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == args["Body"], f"s3://{bucket}/{key}: bytes differ"
        assert got["ContentType"] == args["ContentType"], f"s3://{bucket}/{key}: content type {got['ContentType']}"
        assert got.get("Metadata", {}) == args.get("Metadata", {}), f"s3://{bucket}/{key}: metadata {got.get('Metadata')}"
        if "CacheControl" in args:
            assert got.get("CacheControl") == args["CacheControl"], f"s3://{bucket}/{key}: cache control"
    print(f"all {len(ITEMS)} items and {len(OBJECTS)} objects are there, exactly")


def check_torn_down() -> None:
    dynamodb, s3 = clients()
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert SITE not in buckets and LOGS not in buckets, f"stateful buckets remain: {buckets}"
    assert TABLE not in dynamodb.list_tables()["TableNames"], "the visits table remains"
    assert boto3.client("lambda", region_name=REGION).list_functions()["Functions"] == [], "a Lambda function remains"
    assert boto3.client("apigatewayv2", region_name=REGION).get_apis()["Items"] == [], "an API remains"
    [state_bucket] = [b for b in buckets if b.startswith(STATE_BUCKET_PREFIX)]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=state_bucket).get("Contents", [])}
    assert "bootstrap/terraform.tfstate" in keys, f"the state backend lost its state: {keys}"
    assert "molecule-tfstate-lock" in dynamodb.list_tables()["TableNames"], "the lock table is gone"
    print(f"stateful and stateless resources are gone; {state_bucket} and the lock table stay")


COMMANDS = {"write": write, "check-deployed": check_data, "check-restored": check_data, "check-torn-down": check_torn_down}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(COMMANDS)}")
    COMMANDS[sys.argv[1]]()
