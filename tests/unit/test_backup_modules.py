"""The backup modules run through the ansible CLI: argument specs, check mode, JSON results
and failure messages, on a real backup taken from the emulator."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from ansible_adhoc import REPO, run_module
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client

MODULES = ["dynamodb_export", "s3_backup", "backup_manifest", "backup_verify", "dynamodb_restore", "s3_restore"]


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


def test_every_module_has_valid_documentation():
    command = [str(Path(sys.executable).with_name("ansible-doc")), "--json"] + [f"strata.aws.{m}" for m in MODULES]
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=120,
        env={"ANSIBLE_COLLECTIONS_PATH": str(REPO / "collections"), "PATH": str(Path(sys.executable).parent)},
    )
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)
    for module in MODULES:
        doc = docs[f"strata.aws.{module}"]
        assert doc["doc"]["short_description"] and doc["examples"] and doc["return"], module


def test_backup_verify_and_restore_through_ansible(stack, tmp_path):
    table, bucket = stack["table"], stack["bucket"]
    dest = tmp_path / "backups" / "local" / "20250101T000000Z"

    dry = run_module(tmp_path, "strata.aws.dynamodb_export", {"table": table, "dest": str(dest)}, check=True)
    assert dry["changed"] is True and "item_count" not in dry
    complete = {"dest": str(dest), "env": "local", "tables": [table], "buckets": [bucket]}
    dry = run_module(tmp_path, "strata.aws.backup_manifest", complete, check=True)
    assert (dry["changed"], dry["pending"]) == (True, [f"table {table}", f"bucket {bucket}"])
    assert not dest.exists()

    exported = run_module(tmp_path, "strata.aws.dynamodb_export", {"table": table, "dest": str(dest), "segments": 2})
    assert (exported["changed"], exported["item_count"]) == (True, 3)
    assert Path(exported["file"]) == (dest / "dynamodb" / f"{table}.jsonl.gz").resolve()
    copied = run_module(tmp_path, "strata.aws.s3_backup", {"bucket": bucket, "dest": str(dest)})
    assert (copied["object_count"], copied["downloaded"], copied["reused"]) == (2, 2, 0)

    dry = run_module(tmp_path, "strata.aws.backup_manifest", complete, check=True)
    assert (dry["changed"], dry["pending"], dry["manifest"]["tables"][0]["item_count"]) == (True, [], 3)
    assert not (dest / "manifest.json").exists()
    written = run_module(tmp_path, "strata.aws.backup_manifest", complete)
    assert written["changed"] is True
    assert written["manifest"]["source"]["env"] == "local"
    assert run_module(tmp_path, "strata.aws.backup_manifest", complete)["changed"] is False

    verified = run_module(tmp_path, "strata.aws.backup_verify", {"src": str(dest), "live": True})
    assert verified["changed"] is False, verified
    assert verified["live"] == {"tables": {table: 3}, "buckets": {bucket: 2}}
    assert (verified["tables"], verified["buckets"]) == ([table], [bucket])

    stack["ddb"].delete_item(TableName=table, Key={"stat": {"S": "s1"}})
    stack["s3"].delete_object(Bucket=bucket, Key="index.html")
    drifted = run_module(tmp_path, "strata.aws.backup_verify", {"src": str(dest), "live": True})
    assert drifted["failed"] is True and drifted["changed"] is False
    assert f"table {table}: live holds 2 items, backup holds 3" in drifted["msg"]

    args = {"src": str(dest), "source_table": table}
    dry = run_module(tmp_path, "strata.aws.dynamodb_restore", args, check=True)
    assert (dry["changed"], dry["restored"], dry["unchanged"]) == (True, 1, 2)
    restored = run_module(tmp_path, "strata.aws.dynamodb_restore", args)
    assert (restored["changed"], restored["restored"]) == (True, 1)
    assert run_module(tmp_path, "strata.aws.dynamodb_restore", args)["changed"] is False

    args = {"src": str(dest), "source_bucket": bucket, "mode": "overwrite"}
    uploaded = run_module(tmp_path, "strata.aws.s3_restore", args)
    assert (uploaded["changed"], uploaded["uploaded"], uploaded["unchanged"]) == (True, 1, 1)
    assert run_module(tmp_path, "strata.aws.s3_restore", args)["changed"] is False
    final = run_module(tmp_path, "strata.aws.backup_verify", {"src": str(dest), "live": True})
    assert final["live"] == {"tables": {table: 3}, "buckets": {bucket: 2}}


def test_failures_name_the_parameter_or_the_file(stack, tmp_path):
    dest = tmp_path / "backup"
    export = {"table": stack["table"], "dest": str(dest)}
    complete = {"dest": str(dest), "env": "x", "tables": [stack["table"]]}
    bad = run_module(tmp_path, "strata.aws.dynamodb_export", dict(export, segments=0))
    assert bad["failed"] is True
    assert bad["msg"] == "parameter segments must be at least 1, got 0"

    bad = run_module(tmp_path, "strata.aws.dynamodb_restore", {"src": str(dest), "mode": "replace"})
    assert "value of mode must be one of: missing, overwrite, got: replace" in bad["msg"]

    missing = run_module(tmp_path, "strata.aws.backup_manifest", complete)
    assert missing["failed"] is True
    assert f"table {stack['table']}: not exported into {dest}" in missing["msg"]

    run_module(tmp_path, "strata.aws.dynamodb_export", export)
    run_module(tmp_path, "strata.aws.backup_manifest", complete)
    table_file = dest / "dynamodb" / f"{stack['table']}.jsonl.gz"
    table_file.write_bytes(table_file.read_bytes() + b"\0")
    corrupt = run_module(tmp_path, "strata.aws.backup_verify", {"src": str(dest)})
    assert corrupt["failed"] is True and corrupt["changed"] is False
    assert corrupt["problems"] == [
        f"dynamodb/{stack['table']}.jsonl.gz: size is {table_file.stat().st_size} bytes, "
        f"manifest says {table_file.stat().st_size - 1}"
    ]

    nothing = run_module(tmp_path, "strata.aws.backup_verify", {"src": str(tmp_path / "nope")})
    assert "has no manifest.json: the backup is incomplete or not a backup" in nothing["msg"]
