"""Data for the replacement play (replace.yml): ``write <snapshot.json>`` puts 120 items and
the counter into the second environment's table and three objects with metadata into its site
bucket, then records every item and every object (bytes' SHA-256, metadata) in the snapshot
that test_replace.py compares with what the emulator holds after each run."""
from __future__ import annotations

import hashlib
import json
import sys

import boto3

TABLE = "molecule-visits-second"
BUCKET = "molecule-site-second"


def session():
    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                 region_name="us-east-1")


def items(ddb, table):
    """Every item of ``table``, typed, bytes as hex and sets sorted, in one order."""
    found = []
    for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            found.append({name: {kind: sorted(plain(v)) if kind in ("SS", "NS", "BS") else plain(v)
                                 for kind, v in value.items()} for name, value in item.items()})
    return sorted(found, key=lambda item: json.dumps(item, sort_keys=True))


def objects(s3, bucket):
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents") or []:
            got = s3.get_object(Bucket=bucket, Key=entry["Key"])
            found[entry["Key"]] = {"sha256": hashlib.sha256(got["Body"].read()).hexdigest(),
                                   "metadata": got.get("Metadata") or {},
                                   "content_type": got.get("ContentType")}
    return found


def plain(data):
    """``data`` as the snapshot holds it (bytes as hex)."""
    return json.loads(json.dumps(data, default=lambda value: value.hex() if isinstance(value, bytes) else str(value)))


def write(snapshot):
    ddb, s3 = session().client("dynamodb"), session().client("s3")
    ddb.update_item(TableName=TABLE, Key={"stat": {"S": "Quantity"}}, UpdateExpression="SET viewCount = :n",
                    ExpressionAttributeValues={":n": {"N": "77"}})
    for start in range(0, 120, 25):
        ddb.batch_write_item(RequestItems={TABLE: [
            {"PutRequest": {"Item": {"stat": {"S": f"day-{n:04d}"}, "views": {"N": str(n * 7)},
                                     "tags": {"SS": ["a", f"t{n}"]}, "raw": {"B": bytes([n % 256, 0, 255])}}}}
            for n in range(start, min(start + 25, 120))]})
    for n in range(3):
        s3.put_object(Bucket=BUCKET, Key=f"uploads/file-{n}.bin", Body=bytes(range(256)) * (n + 1),
                      ContentType="application/octet-stream", Metadata={"owner": f"user-{n}"})
    data = {"items": items(ddb, TABLE), "objects": objects(s3, BUCKET)}
    with open(snapshot, "w", encoding="utf-8") as handle:
        json.dump(plain(data), handle)
    print(f"{len(data['items'])} items, {len(data['objects'])} objects")


if __name__ == "__main__":
    write(sys.argv[2]) if sys.argv[1] == "write" else sys.exit(f"unknown command {sys.argv[1]}")
