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
    day2_data.py plant-item LAYER          lock a state in the lock table only, as a run configured with dynamodb does; prints the ID
    day2_data.py drop-item LAYER           remove that lock item
    day2_data.py locked LAYER...           exit 0 when a lock (item or .tflock) is held on any of these layers' states
    day2_data.py locks                     per layer: whether a lock item and a .tflock are held, as JSON
    day2_data.py check-backend-gone WORK_DIR
                                           after teardown_bootstrap=true with the vault off: no state bucket, no lock
                                           table, no local state, and no vault was ever made
    day2_data.py terraform-in DIR          exit 0 when a terraform process runs in DIR
    day2_data.py planning WORK_DIR LAYER... exit 0 when the bootstrap lock is held and terraform runs in each layer's
                                           working copy (WORK_DIR/LAYER): the plans made side by side with bootstrap's
    day2_data.py lock-modes WORK_DIR       per layer: the working copy's backend locking, the recorded mode, lineage,
                                           serial, resources; the lock table, its lock items, the .tflock objects; the budget
"""
from __future__ import annotations

import gzip
import hashlib
import json
import sys
import uuid
from pathlib import Path
from datetime import datetime, timezone

import boto3

REGION = "us-east-1"
SITE = "molecule-site-local"
LOCK_TABLE = "molecule-tfstate-lock"
KEY = "local/stateful/terraform.tfstate"
VISITS = "molecule-visits-local"
KEYS = {"bootstrap": "bootstrap/terraform.tfstate", "stateful": KEY, "stateless": "local/stateless/terraform.tfstate"}
ACCOUNT_BUDGET = "molecule-monthly-cost"


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


def locks():
    """Every layer's lock, wherever it is held (lock table item, .tflock object)."""
    s3, ddb, bucket = clients()
    found = {}
    for layer, key in KEYS.items():
        item = ddb.get_item(TableName=LOCK_TABLE, Key={"LockID": {"S": f"{bucket}/{key}"}}, ConsistentRead=True).get("Item")
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=key + ".tflock").get("Contents", [])
        found[layer] = {"item": bool(item), "lockfile": any(o["Key"] == key + ".tflock" for o in listed)}
    return found


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


def plant_item(layer):
    _, ddb, bucket = clients()
    info = {"ID": str(uuid.uuid4()), "Operation": "OperationTypeApply", "Info": "", "Who": "dynamodb-run@scenario",
            "Version": "1.11.0", "Created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "Path": f"{bucket}/{KEYS[layer]}"}
    ddb.put_item(TableName=LOCK_TABLE, Item={"LockID": {"S": f"{bucket}/{KEYS[layer]}"}, "Info": {"S": json.dumps(info)}},
                 ConditionExpression="attribute_not_exists(LockID)")
    print(info["ID"])


def lock_modes(work_dir):
    """What the lock-mode steps assert on, read behind strata's back."""
    s3, ddb, bucket = clients()
    layers = {}
    for layer, key in KEYS.items():
        with open(f"{work_dir}/{layer}/backend.tf", encoding="utf-8") as handle:
            backend = handle.read()
        state = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        try:
            record = s3.get_object(Bucket=bucket, Key=key + ".lock-mode")["Body"].read().decode().strip()
        except s3.exceptions.NoSuchKey:
            record = None
        layers[layer] = {
            "dynamodb_table": f'dynamodb_table = "{LOCK_TABLE}"' in backend,
            "use_lockfile": "use_lockfile   = true" in backend,
            "recorded": record, "lineage": state["lineage"], "serial": state["serial"],
            "resources": sorted(".".join(filter(None, (r.get("module"), r["type"], r["name"]))) for r in state["resources"]
                                if r["mode"] == "managed")}
    try:
        items = [i["LockID"]["S"] for i in ddb.scan(TableName=LOCK_TABLE, ConsistentRead=True)["Items"]]
        table = True
    except ddb.exceptions.ResourceNotFoundException:
        items, table = [], False
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    budgets = boto3.client("budgets", region_name=REGION)
    account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
    budget = budgets.describe_budget(AccountId=account, BudgetName=ACCOUNT_BUDGET)["Budget"]
    notifications = budgets.describe_notifications_for_budget(AccountId=account, BudgetName=ACCOUNT_BUDGET)["Notifications"]
    subscribers = [budgets.describe_subscribers_for_notification(AccountId=account, BudgetName=ACCOUNT_BUDGET,
                                                                 Notification=n)["Subscribers"] for n in notifications]
    print(json.dumps({
        "layers": layers, "lock_table": table,
        "lock_items": [i for i in items if not i.endswith("-md5")],
        "digest_items": [i for i in items if i.endswith("-md5")],
        "lockfiles": [k for k in keys if k.endswith(".tflock")],
        "budget": {"type": budget["BudgetType"], "time_unit": budget["TimeUnit"], "limit": budget["BudgetLimit"],
                   "notifications": notifications, "subscribers": subscribers},
    }, default=str))


def terraform_in(directory):
    """Whether a terraform process runs with ``directory`` as its working directory (Linux /proc)."""
    target = Path(directory).resolve()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and "terraform" in (proc / "comm").read_text() and (proc / "cwd").resolve() == target:
                return True
        except OSError:
            continue
    return False


def check_backend_gone(bootstrap_work_dir):
    s3, ddb = boto3.client("s3", region_name=REGION), boto3.client("dynamodb", region_name=REGION)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert not [n for n in names if n.startswith("molecule-tfstate-")], f"the state bucket remains: {names}"
    assert not [n for n in names if n.startswith("molecule-backups-")], f"a backup vault exists with the vault off: {names}"
    assert LOCK_TABLE not in ddb.list_tables()["TableNames"], "the lock table remains"
    leftovers = [p.name for p in Path(bootstrap_work_dir).glob("terraform.tfstate*")]
    assert not leftovers, f"local state left in {bootstrap_work_dir}: {leftovers}"
    print("state backend gone: no bucket, no lock table, no local state, no vault")


def main(argv):
    command = argv[0]
    s3, ddb, bucket = clients()
    if command == "lock-both":
        lock_both()
    elif command == "drop-lockfile":
        s3.delete_object(Bucket=bucket, Key=KEY + ".tflock")
    elif command == "drop-item" and len(argv) == 1:
        ddb.delete_item(TableName=LOCK_TABLE, Key={"LockID": {"S": f"{bucket}/{KEY}"}})
    elif command == "plant-item":
        plant_item(argv[1])
    elif command == "drop-item" and len(argv) > 1:
        ddb.delete_item(TableName=LOCK_TABLE, Key={"LockID": {"S": f"{bucket}/{KEYS[argv[1]]}"}})
    elif command == "lock-modes":
        lock_modes(argv[1])
    elif command == "locked":
        held_now = locks()
        raise SystemExit(0 if any(any(held_now[layer].values()) for layer in argv[1:]) else 1)
    elif command == "check-backend-gone":
        check_backend_gone(argv[1])
    elif command == "terraform-in":
        raise SystemExit(0 if terraform_in(argv[1]) else 1)
    elif command == "planning":
        raise SystemExit(0 if any(locks()["bootstrap"].values())
                         and all(terraform_in(Path(argv[1]) / layer) for layer in argv[2:]) else 1)
    elif command == "locks":
        print(json.dumps(locks()))
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
