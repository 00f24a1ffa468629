# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.drill_cleanup run by ansible: a drill's tagged table and bucket (with objects and
versions) are removed; a resource of the same prefix without the tag is left alone."""
from __future__ import annotations

import uuid

from ansible_adhoc import run_module
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client


def test_removes_what_a_drill_left_and_nothing_else(emulator_endpoint, tmp_path):
    ddb, s3 = aws_client("dynamodb"), aws_client("s3")
    prefix = f"strata-drill-t{uuid.uuid4().hex[:6]}-"
    tagged, foreign = f"{prefix}20250101t000000z", f"{prefix}not-a-drill"
    key = [{"AttributeName": "stat", "KeyType": "HASH"}]
    attrs = [{"AttributeName": "stat", "AttributeType": "S"}]
    for name, tags in ((tagged, [{"Key": "strata:drill", "Value": "t"}]), (foreign, [])):
        ddb.create_table(TableName=name, KeySchema=key, AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST",
                         **({"Tags": tags} if tags else {}))
        s3.create_bucket(Bucket=name)
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
    s3.put_bucket_versioning(Bucket=tagged, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two"):
        s3.put_object(Bucket=tagged, Key="k", Body=body)
    args = {"prefix": prefix, "tag_value": "t"}
    try:
        dry = run_module(tmp_path, "strata.aws.drill_cleanup", args, check=True)
        assert (dry["changed"], dry["tables"], dry["buckets"]) == (True, [tagged], [tagged])
        assert tagged in ddb.list_tables()["TableNames"]
        done = run_module(tmp_path, "strata.aws.drill_cleanup", args)
        assert (done["tables"], done["buckets"], done["objects"]) == ([tagged], [tagged], 2)
        assert tagged not in ddb.list_tables()["TableNames"]
        assert tagged not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        assert foreign in ddb.list_tables()["TableNames"]
        assert run_module(tmp_path, "strata.aws.drill_cleanup", args)["changed"] is False
        outside = run_module(tmp_path, "strata.aws.drill_cleanup", dict(args, tables=["strata-visits-t"]))
        assert outside["failed"] is True and "expected names starting with" in outside["msg"]
    finally:
        ddb.delete_table(TableName=foreign)
        s3.delete_bucket(Bucket=foreign)
