# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of strata.aws's integration tests (the emulator itself, ``emulator_endpoint`` and
``aws_session``, comes from the project's root conftest.py)."""
from __future__ import annotations

import uuid

import pytest

from ansible_adhoc import run_module
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client


@pytest.fixture
def stack(emulator_endpoint):
    """A table with three items and a bucket with two objects; removed afterwards."""
    ddb, s3 = aws_client("dynamodb"), aws_client("s3")
    table, bucket = f"mod-{uuid.uuid4().hex[:8]}", f"mod-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "stat", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "stat", "AttributeType": "S"}],
    )
    for i in range(3):
        ddb.put_item(TableName=table, Item={"stat": {"S": f"s{i}"}, "n": {"N": str(i)}, "b": {"B": b"\xff"}})
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<p>hi</p>", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="img/logo.png", Body=bytes(range(256)), Metadata={"alt": "logo"})
    yield {"ddb": ddb, "s3": s3, "table": table, "bucket": bucket}
    ddb.delete_table(TableName=table)
    for key in ("index.html", "img/logo.png"):
        s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_bucket(Bucket=bucket)


@pytest.fixture
def stack_backup(stack, tmp_path):
    """A complete backup of ``stack`` (env ``local``) taken through the modules, as the backup
    role takes it: dynamodb_backup, s3_backup, then backup_manifest. Returns its directory."""
    dest = tmp_path / "backups" / "local" / "20250101T000000Z"
    assert not run_module(tmp_path, "strata.aws.dynamodb_backup", {"table": stack["table"], "dest": str(dest)}).get("failed")
    assert not run_module(tmp_path, "strata.aws.s3_backup", {"bucket": stack["bucket"], "dest": str(dest)}).get("failed")
    complete = {"dest": str(dest), "env": "local", "tables": [stack["table"]], "buckets": [stack["bucket"]]}
    assert run_module(tmp_path, "strata.aws.backup_manifest", complete)["changed"] is True
    return dest
