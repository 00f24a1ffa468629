"""The data the teardown scenario writes before a teardown and expects back after a restore.

    scenario_data.py write | check-deployed | check-partly-torn-down | check-torn-down
                     | check-fresh | check-restored | craft-backups BACKUP_ROOT CRAFTED_ROOT
                     | check-vault SNAPSHOT_FILE [before|after] | check-exported
                     | check-imported [none|one] | drop-imported
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import boto3

REGION = "us-east-1"
TABLE = "molecule-visits-local"
SITE = "molecule-site-local"
LOGS = "molecule-logs-local"
STATE_BUCKET_PREFIX = "molecule-tfstate-"
VAULT_PREFIX = "molecule-backups-"
VAULT_LOCK_DAYS = 1  # host_vars/local.yml: backup_vault_object_lock_days
VAULT_EXPIRATION_DAYS = 2  # backup_vault_expiration_days

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


def check_partly_torn_down() -> None:
    """After a teardown interrupted during the stateful destroy: the stateless layer is gone
    and part of the stateful layer is still there (or the interruption proved nothing)."""
    dynamodb, s3 = clients()
    assert boto3.client("lambda", region_name=REGION).list_functions()["Functions"] == [], "the Lambda remains"
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    left = sorted(({SITE, LOGS} & buckets) | ({TABLE} & set(dynamodb.list_tables()["TableNames"])))
    assert left, "the interrupted teardown had already destroyed every table and bucket: interrupt it earlier"
    print(f"the interrupted teardown left {', '.join(left)}")


def check_fresh() -> None:
    """After a redeploy and before a restore: only the seed item, none of the user's objects."""
    dynamodb, s3 = clients()
    items = dynamodb.scan(TableName=TABLE)["Items"]
    assert items == [{"stat": {"S": "Quantity"}, "viewCount": {"N": "0"}}], f"the table holds {items}"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=SITE).get("Contents", [])}
    assert not {key for (bucket, key) in OBJECTS if bucket == SITE} & keys, f"restored objects already there: {keys}"
    print("the redeployed table holds only its seed item; no backed-up object is back yet")


def craft_backups(backup_root: str, crafted_root: str) -> None:
    """Under ``crafted_root``: a copy of the latest backup whose manifest names the lock
    table instead of the visits table (local/), and one that says it comes from another
    environment (other/)."""
    latest = sorted(p for p in (Path(backup_root) / "local").iterdir() if (p / "manifest.json").exists())[-1]
    for env, change in (("local", "table"), ("other", "env")):
        copy = Path(crafted_root) / env / latest.name
        shutil.copytree(latest, copy)
        manifest = json.loads((copy / "manifest.json").read_text())
        if change == "table":
            manifest["tables"] = [dict(manifest["tables"][0], name="molecule-tfstate-lock")] if manifest["tables"] else [
                {"name": "molecule-tfstate-lock", "file": "tables/none.jsonl.gz", "item_count": 0, "bytes": 0,
                 "sha256": "0" * 64, "table_format": "dynamodb_json_item"}]
        else:
            manifest["source"]["env"] = "other"
        (copy / "manifest.json").write_text(json.dumps(manifest))
    print(f"crafted {crafted_root}/local/{latest.name} (names the lock table) and {crafted_root}/other/{latest.name}")


def check_backend_gone(backup_root: str, bootstrap_work_dir: str) -> None:
    """After a teardown with teardown_bootstrap=true: no state bucket, no lock table, no local
    state, and a verified backup of the bucket's state files."""
    dynamodb, s3 = clients()
    left = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(STATE_BUCKET_PREFIX)]
    assert not left, f"the state bucket remains: {left}"
    assert "molecule-tfstate-lock" not in dynamodb.list_tables()["TableNames"], "the lock table remains"
    leftovers = [p.name for p in Path(bootstrap_work_dir).glob("terraform.tfstate*")]
    assert not leftovers, f"local state left in {bootstrap_work_dir}: {leftovers}"
    manifests = sorted(Path(backup_root, "state-backend").glob("*/manifest.json"))
    assert manifests, f"no backup of the state files under {backup_root}/state-backend"
    manifest = json.loads(manifests[-1].read_text())
    assert [b["name"] for b in manifest["buckets"]] and manifest["buckets"][0]["object_count"] >= 3, manifest["buckets"]
    print(f"state backend gone; its {manifest['buckets'][0]['object_count']} state objects are in {manifests[-1].parent}")


def _vault_listing(s3, vault):
    listing = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=vault):
        listing.update({o["Key"]: o["ETag"] for o in page.get("Contents", [])})
    return listing


def check_vault(snapshot: str, when: str) -> None:
    """The backup vault has every property it is created with (versioning, SSE with a bucket
    key, public access blocked, TLS-only policy, lifecycle rules, Object Lock) and complete
    backups of the environment; ``before`` a full teardown records what it holds in
    ``snapshot``, ``after`` it checks that every object is still there, unchanged, next to the
    state backend's own backup."""
    s3 = boto3.client("s3", region_name=REGION)
    vaults = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(VAULT_PREFIX)]
    assert len(vaults) == 1, f"expected one vault {VAULT_PREFIX}<account id>, found {vaults}"
    vault = vaults[0]
    assert s3.get_bucket_versioning(Bucket=vault)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=vault)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256" and rule["BucketKeyEnabled"], rule
    block = s3.get_public_access_block(Bucket=vault)["PublicAccessBlockConfiguration"]
    assert all(block[k] for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")), block
    statements = json.loads(s3.get_bucket_policy(Bucket=vault)["Policy"])["Statement"]
    tls = [st for st in statements if st.get("Sid") == "DenyInsecureTransport"]
    assert tls and tls[0]["Effect"] == "Deny" and tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, statements
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=vault)["Rules"]}
    assert rules["expire-old-backups"]["Expiration"]["Days"] == VAULT_EXPIRATION_DAYS, rules
    assert "NoncurrentVersionExpiration" in rules["expire-noncurrent-versions"], rules
    lock = s3.get_object_lock_configuration(Bucket=vault)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled", lock
    retention = lock["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention.get("Days")) == ("GOVERNANCE", VAULT_LOCK_DAYS), lock
    listing = _vault_listing(s3, vault)
    manifests = sorted(k for k in listing if k.startswith("local/") and k.endswith("/manifest.json"))
    assert len(manifests) >= 2, f"expected the two teardowns' backups in {vault}/local/, found {manifests}"
    held = s3.head_object(Bucket=vault, Key=manifests[-1])
    assert held.get("ObjectLockMode") == "GOVERNANCE" and held.get("ObjectLockRetainUntilDate"), held
    if when == "before":
        Path(snapshot).write_text(json.dumps(listing))
        print(f"{vault}: {len(listing)} objects, {len(manifests)} backups of local")
        return
    before = json.loads(Path(snapshot).read_text())
    lost = sorted(k for k in before if listing.get(k) != before[k])
    assert not lost, f"the full teardown removed or changed {len(lost)} objects of the vault: {lost[:5]}"
    backend = [k for k in listing if k.startswith("state-backend/") and k.endswith("/manifest.json") and k not in before]
    assert backend, f"the state backend's backup is not in {vault}/state-backend/"
    print(f"{vault} outlived the state backend: all {len(before)} objects unchanged, plus {backend[0]}")


def check_exported() -> None:
    """After the teardown run with backup_method export was interrupted in its destroy: the vault
    holds a complete backup (manifest written) in which DynamoDB exported the visits table, with
    every item, and the site bucket's objects were copied there; nothing of it was kept locally."""
    s3 = boto3.client("s3", region_name=REGION)
    [vault] = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(VAULT_PREFIX)]
    for key in sorted((k for k in _vault_listing(s3, vault) if k.startswith("local/") and k.endswith("/manifest.json")),
                      reverse=True):
        manifest = json.loads(s3.get_object(Bucket=vault, Key=key)["Body"].read())
        tables = {t["name"]: t for t in manifest["tables"]}
        if tables.get(TABLE, {}).get("method") == "export":
            break
    else:
        raise AssertionError(f"no backup in {vault}/local/ holds {TABLE} exported by DynamoDB")
    assert tables[TABLE]["item_count"] == len(ITEMS), tables[TABLE]
    assert tables[TABLE]["export"]["arn"].startswith("arn:aws:dynamodb:"), tables[TABLE]["export"]
    buckets = {b["name"]: b for b in manifest["buckets"]}
    assert buckets[SITE]["object_count"] >= 3, buckets
    print(f"{vault}/{key.rsplit('/', 1)[0]}: {TABLE} exported ({tables[TABLE]['item_count']} items), "
          f"{buckets[SITE]['object_count']} objects of {SITE} copied server-side")


IMPORTED_PREFIX = f"{TABLE}-restored-"  # restore_method import's new table: <live table>-restored-<backup>


def _imported_tables(dynamodb):
    names = []
    for page in dynamodb.get_paginator("list_tables").paginate():
        names += [name for name in page["TableNames"] if name.startswith(IMPORTED_PREFIX)]
    return names


def _scan(dynamodb, table):
    items = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items += page["Items"]
    return sorted((_normalise(item) for item in items), key=lambda item: item["stat"]["S"])


def check_imported(expected: str = "one") -> None:
    """After restore.yml -e restore_method=import: ``one`` new table <live>-restored-<backup>,
    holding exactly the live table's items (every one written before the teardown), with its key
    schema and billing mode, while the live table still holds exactly those items; ``none``: no
    such table (check mode, or a refused run, created nothing)."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    imported = _imported_tables(dynamodb)
    if expected == "none":
        assert imported == [], f"a new table was created: {imported}"
        print(f"no table {IMPORTED_PREFIX}* exists")
        return
    assert len(imported) == 1, f"expected one new table {IMPORTED_PREFIX}<backup>, found {imported}"
    [new] = imported
    live_items, new_items = _scan(dynamodb, TABLE), _scan(dynamodb, new)
    assert live_items == sorted((_normalise(item) for item in ITEMS), key=lambda item: item["stat"]["S"]), (
        f"the live table {TABLE} no longer holds exactly the {len(ITEMS)} items written")
    assert new_items == live_items, (f"{new} holds {len(new_items)} items, {TABLE} {len(live_items)}; differing: "
                                     f"{[i['stat'] for i in new_items if i not in live_items][:5]}")
    live, made = (dynamodb.describe_table(TableName=name)["Table"] for name in (TABLE, new))
    assert made["KeySchema"] == live["KeySchema"], (made["KeySchema"], live["KeySchema"])
    assert made["AttributeDefinitions"] == live["AttributeDefinitions"], made["AttributeDefinitions"]
    billing = [t.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") for t in (made, live)]
    assert billing[0] == billing[1], f"billing mode {billing[0]}, the live table's {billing[1]}"
    print(f"{new}: the {len(new_items)} items of {TABLE} exactly, key schema {made['KeySchema']}, {billing[0]}")


def drop_imported() -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for name in _imported_tables(dynamodb):
        dynamodb.delete_table(TableName=name)
        print(f"deleted {name}")


COMMANDS = {"check-imported": check_imported, "drop-imported": drop_imported, "check-vault": check_vault, "check-backend-gone": check_backend_gone, "write": write, "check-deployed": check_data, "check-restored": check_data, "check-torn-down": check_torn_down,
            "check-partly-torn-down": check_partly_torn_down, "check-exported": check_exported, "check-fresh": check_fresh, "craft-backups": craft_backups}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(COMMANDS)} [ARGS]")
    COMMANDS[sys.argv[1]](*sys.argv[2:])
