# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The data protections of an environment, read back from AWS: bucket versioning and public
access blocks, a table's point-in-time recovery and deletion protection, and whether given
items are present (with their values). Pure checks (``problems``) are separate from the calls.
"""
from __future__ import annotations

try:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
except ImportError:  # the modules report a missing boto3 through AnsibleAWSModule before any call
    TypeDeserializer = TypeSerializer = None

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import ClientError, error_code

BLOCK_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def plain(value):
    """A DynamoDB-typed item as plain JSON values (numbers as int or float, sets as sorted lists)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if hasattr(value, "as_tuple"):  # Decimal
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, bytearray)) or type(value).__name__ == "Binary":
        return bytes(getattr(value, "value", value)).hex()
    return value


def problems(buckets, tables, items, expect_pitr=False, expect_deletion_protection=False):
    """Every protection that is missing, one sentence each, from what ``read`` returned."""
    found = []
    for name, bucket in buckets.items():
        if not bucket["exists"]:
            found.append(f"bucket {name} does not exist")
            continue
        if bucket["versioning"] != "Enabled":
            found.append(f"bucket {name}: versioning is {bucket['versioning'] or 'off'} (expected Enabled)")
        missing = [s for s in BLOCK_SETTINGS if not (bucket["public_access_block"] or {}).get(s)]
        if bucket["public_access_block"] is None:
            found.append(f"bucket {name}: no public access block (expected all four settings on)")
        elif missing:
            found.append(f"bucket {name}: public access block settings off: {', '.join(missing)}")
    for name, table in tables.items():
        if not table["exists"]:
            found.append(f"table {name} does not exist")
            continue
        if expect_pitr and not table["point_in_time_recovery"]:
            found.append(f"table {name}: point-in-time recovery is off (the inventory asks for it)")
        if expect_deletion_protection and not table["deletion_protection"]:
            found.append(f"table {name}: deletion protection is off (the inventory asks for it)")
    for item in items:
        if not item["present"]:
            found.append(f"table {item['table']}: seed item {item['key']} is missing")
    return found


# --- AWS calls ---------------------------------------------------------------------------

def read_bucket(s3, name):
    try:
        versioning = s3.get_bucket_versioning(Bucket=name).get("Status")
    except ClientError as exc:
        if error_code(exc) in ("NoSuchBucket", "404", "NotFound"):
            return {"exists": False, "versioning": None, "public_access_block": None}
        raise
    try:
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    except ClientError as exc:
        if error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
            raise
        block = None
    return {"exists": True, "versioning": versioning, "public_access_block": block}


def read_table(ddb, name):
    try:
        table = ddb.describe_table(TableName=name)["Table"]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return {"exists": False, "point_in_time_recovery": None, "deletion_protection": None, "key": []}
        raise
    backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus") == "ENABLED"
    return {"exists": True, "point_in_time_recovery": pitr,
            "deletion_protection": bool(table.get("DeletionProtectionEnabled")),
            "key": [k["AttributeName"] for k in table["KeySchema"]], "item_count": table.get("ItemCount")}


def read_items(ddb, table, key_names, items):
    """Each item's key (the table's key attributes of ``items``), presence and current values."""
    serializer, deserializer = TypeSerializer(), TypeDeserializer()
    found = []
    for item in items:
        key = {name: item[name] for name in key_names if name in item}
        got = ddb.get_item(TableName=table, Key={k: serializer.serialize(v) for k, v in key.items()},
                           ConsistentRead=True).get("Item")
        found.append({"table": table, "key": key, "present": got is not None,
                      "item": plain({k: deserializer.deserialize(v) for k, v in (got or {}).items()}) if got else None})
    return found


def read(s3, ddb, buckets, tables, items_table=None, items=()):
    """What AWS holds: {buckets: {name: ...}, tables: {name: ...}, items: [...]}."""
    result = {"buckets": {name: read_bucket(s3, name) for name in buckets},
              "tables": {name: read_table(ddb, name) for name in tables}, "items": []}
    if items_table and items:
        table = result["tables"].get(items_table) or read_table(ddb, items_table)
        if table["exists"]:
            result["items"] = read_items(ddb, items_table, table["key"], items)
        else:
            result["items"] = [{"table": items_table, "key": item, "present": False, "item": None} for item in items]
    return result
