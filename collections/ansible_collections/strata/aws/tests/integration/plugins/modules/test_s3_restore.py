"""strata.aws.s3_restore run by ansible on a backup taken from the emulator (the restore
logic: tests/integration/plugins/module_utils/test_backup_s3.py)."""
from __future__ import annotations

from ansible_adhoc import run_module


def test_overwrite_makes_the_bucket_equal_to_the_backup(stack, stack_backup, tmp_path):
    table, bucket, dest = stack["table"], stack["bucket"], stack_backup
    stack["s3"].delete_object(Bucket=bucket, Key="index.html")

    args = {"src": str(dest), "source_bucket": bucket, "mode": "overwrite"}
    uploaded = run_module(tmp_path, "strata.aws.s3_restore", args)
    assert (uploaded["changed"], uploaded["uploaded"], uploaded["unchanged"]) == (True, 1, 1)
    assert run_module(tmp_path, "strata.aws.s3_restore", args)["changed"] is False
    final = run_module(tmp_path, "strata.aws.backup_verify", {"src": str(dest), "live": True})
    assert final["live"] == {"tables": {table: 3}, "buckets": {bucket: 2}}
