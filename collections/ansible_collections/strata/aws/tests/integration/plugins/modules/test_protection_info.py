# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.protection_info run by ansible against the emulator: a protected bucket and table
pass, and removing a public access block, suspending versioning or deleting the seed item is
reported."""
from __future__ import annotations

import uuid

from ansible_adhoc import run_module

BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def test_protections_read_back(aws_session, tmp_path):
    s3, ddb = aws_session.client("s3"), aws_session.client("dynamodb")
    bucket, name = f"prot-{uuid.uuid4().hex[:8]}", f"prot-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCK)
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "stat", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "stat", "AttributeType": "S"}])
    ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    ddb.put_item(TableName=name, Item={"stat": {"S": "Quantity"}, "viewCount": {"N": "42"}})
    args = {"buckets": [bucket], "tables": [name], "expect_point_in_time_recovery": True,
            "items_table": name, "items": [{"stat": "Quantity", "viewCount": 0}]}
    try:
        ok = run_module(tmp_path, "strata.aws.protection_info", args)
        assert ok["problems"] == [] and ok["changed"] is False, ok
        assert ok["items"] == [{"table": name, "key": {"stat": "Quantity"}, "present": True,
                                "item": {"stat": "Quantity", "viewCount": 42}}]
        assert ok["tables"][name]["point_in_time_recovery"] is True
        s3.delete_public_access_block(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
        ddb.delete_item(TableName=name, Key={"stat": {"S": "Quantity"}})
        bad = run_module(tmp_path, "strata.aws.protection_info", dict(args, expect_deletion_protection=True))
        assert bad["problems"] == [
            f"bucket {bucket}: versioning is Suspended (expected Enabled)",
            f"bucket {bucket}: no public access block (expected all four settings on)",
            f"table {name}: deletion protection is off (the inventory asks for it)",
            f"table {name}: seed item {{'stat': 'Quantity'}} is missing",
        ]
    finally:
        ddb.delete_table(TableName=name)
