"""strata.aws.backup_verify run by ansible on a backup taken from the emulator: against the
manifest and the live resources; failures name the file or resource."""
from __future__ import annotations

from ansible_adhoc import run_module


def test_verify_against_the_live_resources(stack, stack_backup, tmp_path):
    table, bucket, dest = stack["table"], stack["bucket"], stack_backup

    verified = run_module(tmp_path, "strata.aws.backup_verify", {"src": str(dest), "live": True})
    assert verified["changed"] is False, verified
    assert verified["live"] == {"tables": {table: 3}, "buckets": {bucket: 2}}
    assert (verified["tables"], verified["buckets"]) == ([table], [bucket])

    stack["ddb"].delete_item(TableName=table, Key={"stat": {"S": "s1"}})
    stack["s3"].delete_object(Bucket=bucket, Key="index.html")
    drifted = run_module(tmp_path, "strata.aws.backup_verify", {"src": str(dest), "live": True})
    assert drifted["failed"] is True and drifted["changed"] is False
    assert f"table {table}: live holds 2 items, backup holds 3" in drifted["msg"]


def test_failures_name_the_file(stack, tmp_path):
    dest = tmp_path / "backup"
    export = {"table": stack["table"], "dest": str(dest)}
    complete = {"dest": str(dest), "env": "x", "tables": [stack["table"]]}
    run_module(tmp_path, "strata.aws.dynamodb_backup", export)
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
