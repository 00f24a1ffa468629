# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Before a confirmed replacement, against the emulator: a versioned bucket is emptied of
every version and delete marker (so it can be deleted), and a table's deletion protection
is lifted; check mode only counts."""
from __future__ import annotations

import uuid

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client
from ansible_collections.strata.aws.plugins.module_utils.replace_prepare import (
    empty_bucket,
    lift_deletion_protection,
)


def test_a_versioned_bucket_is_emptied_of_every_version_and_marker(emulator_endpoint):
    s3 = aws_client("s3")
    bucket = f"replace-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for n in range(3):
        s3.put_object(Bucket=bucket, Key="page.html", Body=f"version {n}".encode())
    s3.put_object(Bucket=bucket, Key="gone.txt", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="gone.txt")  # a version and a delete marker

    assert empty_bucket(s3, bucket, check_mode=True) == 5
    assert len(s3.list_object_versions(Bucket=bucket).get("Versions", [])) == 4
    assert empty_bucket(s3, bucket) == 5
    listed = s3.list_object_versions(Bucket=bucket)
    assert not listed.get("Versions") and not listed.get("DeleteMarkers")
    s3.delete_bucket(Bucket=bucket)


def test_deletion_protection_is_lifted_only_where_it_is_on(emulator_endpoint):
    ddb = aws_client("dynamodb")
    table = f"replace-{uuid.uuid4().hex[:10]}"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST", DeletionProtectionEnabled=True,
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    assert lift_deletion_protection(ddb, table, check_mode=True) is True
    assert ddb.describe_table(TableName=table)["Table"]["DeletionProtectionEnabled"] is True
    assert lift_deletion_protection(ddb, table) is True
    assert ddb.describe_table(TableName=table)["Table"]["DeletionProtectionEnabled"] is False
    assert lift_deletion_protection(ddb, table) is False
    ddb.delete_table(TableName=table)
