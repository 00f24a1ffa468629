"""What the day2 scenario does and checks with boto3 behind strata's back.

    day2_data.py lock-both                 lock the stateful state as Terraform does (item + .tflock); prints the ID
    day2_data.py drop-lockfile|drop-item   remove one half of that lock
    day2_data.py check-unlocked            no lock item, no .tflock on the stateful state
    day2_data.py delete-public-access-block
    day2_data.py versions                  the stateful state's versions as JSON (newest first)
    day2_data.py check-rollback BEFORE_JSON TARGET_ID
    day2_data.py counter                   the visitor counter's viewCount as boto3 reads it
    day2_data.py check-counter-backup DIR VALUE
                                           DIR is a complete backup (manifest) of the counter item alone, holding VALUE
"""
from __future__ import annotations

import gzip
import hashlib
import json
import sys
import uuid
from datetime import datetime, timezone

import boto3

REGION = "us-east-1"
SITE = "molecule-site-local"
LOCK_TABLE = "molecule-tfstate-lock"
KEY = "local/stateful/terraform.tfstate"
VISITS = "molecule-visits-local"


def clients():
    s3, ddb = boto3.client("s3", region_name=REGION), boto3.client("dynamodb", region_name=REGION)
    account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
    return s3, ddb, f"molecule-tfstate-{account}"


def lock_both():
    s3, ddb, bucket = clients()
    info = {"ID": str(uuid.uuid4()), "Operation": "OperationTypeApply", "Info": "", "Who": "day2@scenario",
            "Version": "1.11.0", "Created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "Path": f"{bucket}/{KEY}"}
    ddb.put_item(TableName=LOCK_TABLE, Item={"LockID": {"S": f"{bucket}/{KEY}"}, "Info": {"S": json.dumps(info)}},
                 ConditionExpression="attribute_not_exists(LockID)")
    s3.put_object(Bucket=bucket, Key=KEY + ".tflock", Body=json.dumps(info).encode(), IfNoneMatch="*")
    print(info["ID"])


def held():
    s3, ddb, bucket = clients()
    item = ddb.get_item(TableName=LOCK_TABLE, Key={"LockID": {"S": f"{bucket}/{KEY}"}}, ConsistentRead=True).get("Item")
    try:
        s3.head_object(Bucket=bucket, Key=KEY + ".tflock")
        lockfile = True
    except s3.exceptions.ClientError:
        lockfile = False
    return {"item": bool(item), "lockfile": lockfile}


def versions():
    s3, _, bucket = clients()
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=KEY):
        for version in page.get("Versions", []):
            if version["Key"] != KEY:
                continue
            state = json.loads(s3.get_object(Bucket=bucket, Key=KEY, VersionId=version["VersionId"])["Body"].read())
            found.append({"id": version["VersionId"], "latest": version["IsLatest"], "serial": state["serial"],
                          "lineage": state["lineage"],
                          "resources": sum(len(r["instances"]) for r in state["resources"] if r["mode"] == "managed")})
    found.sort(key=lambda v: not v["latest"])
    return found


def check_rollback(before_json, target_id):
    before = json.loads(before_json)
    after = versions()
    target = next(v for v in before if v["id"] == target_id)
    assert {v["id"] for v in before} <= {v["id"] for v in after}, "a version was deleted"
    assert len(after) == len(before) + 1, (len(before), len(after))
    newest = after[0]
    assert newest["lineage"] == before[0]["lineage"] == target["lineage"], (newest, target)
    assert newest["serial"] == before[0]["serial"] + 1, (newest, before[0])
    assert newest["resources"] == target["resources"], (newest, target)
    _, ddb, bucket = clients()
    digest = ddb.get_item(TableName=LOCK_TABLE, Key={"LockID": {"S": f"{bucket}/{KEY}-md5"}})["Item"]["Digest"]["S"]
    s3, _, _ = clients()
    assert digest == hashlib.md5(s3.get_object(Bucket=bucket, Key=KEY)["Body"].read()).hexdigest()
    print(f"rolled back to {target_id}: serial {newest['serial']}, {newest['resources']} resources, "
          f"lineage {newest['lineage']}, {len(after)} versions (none deleted)")


def counter():
    _, ddb, _ = clients()
    item = ddb.get_item(TableName=VISITS, Key={"stat": {"S": "Quantity"}}, ConsistentRead=True)["Item"]
    return int(item["viewCount"]["N"])


def check_counter_backup(backup_dir, value):
    with open(f"{backup_dir}/manifest.json", encoding="utf-8") as handle:
        manifest = json.load(handle)
    assert manifest["source"]["env"] == "local", manifest["source"]
    assert [(t["name"], t["item_count"]) for t in manifest["tables"]] == [(VISITS, 1)], manifest["tables"]
    assert manifest["buckets"] == [], manifest["buckets"]
    with gzip.open(f"{backup_dir}/{manifest['tables'][0]['file']}", "rt", encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    assert lines == [{"Item": {"stat": {"S": "Quantity"}, "viewCount": {"N": str(value)}}}], lines
    print(f"{backup_dir}: the counter item alone, viewCount {value}")


def main(argv):
    command = argv[0]
    s3, ddb, bucket = clients()
    if command == "lock-both":
        lock_both()
    elif command == "drop-lockfile":
        s3.delete_object(Bucket=bucket, Key=KEY + ".tflock")
    elif command == "drop-item":
        ddb.delete_item(TableName=LOCK_TABLE, Key={"LockID": {"S": f"{bucket}/{KEY}"}})
    elif command == "check-unlocked":
        assert held() == {"item": False, "lockfile": False}, held()
    elif command == "delete-public-access-block":
        s3.delete_public_access_block(Bucket=SITE)
    elif command == "versions":
        print(json.dumps(versions()))
    elif command == "check-rollback":
        check_rollback(argv[1], argv[2])
    elif command == "counter":
        print(counter())
    elif command == "check-counter-backup":
        check_counter_backup(argv[1], int(argv[2]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
