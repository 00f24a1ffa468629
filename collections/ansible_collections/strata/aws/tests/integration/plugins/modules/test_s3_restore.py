# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.s3_restore run by ansible on a backup taken from the emulator (the restore
logic: tests/integration/plugins/module_utils/test_backup_s3.py)."""
from __future__ import annotations

import gzip
import json

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


def _object_files(dest, bucket):
    with gzip.open(dest / "s3" / bucket / "index.jsonl.gz", "rt", encoding="utf-8") as handle:
        return {entry["key"]: entry["file"] for entry in map(json.loads, handle)}


def test_a_damaged_object_fails_naming_it_and_every_other_object_is_restored(stack, stack_backup, tmp_path):
    bucket, dest, s3 = stack["bucket"], stack_backup, stack["s3"]
    files = _object_files(dest, bucket)
    damaged = dest / files["img/logo.png"]
    damaged.write_bytes(bytes([damaged.read_bytes()[0] ^ 0x01]) + damaged.read_bytes()[1:])
    for key in ("index.html", "img/logo.png"):
        s3.delete_object(Bucket=bucket, Key=key)

    failed = run_module(tmp_path, "strata.aws.s3_restore", {"src": str(dest), "source_bucket": bucket})
    assert failed["failed"] is True and failed["changed"] is True
    assert f"s3://{bucket}/img/logo.png" in failed["msg"] and "sha256 is" in failed["msg"]
    assert (failed["uploaded"], failed["unchanged"]) == (1, 0)
    assert [(f["key"], f["file"]) for f in failed["failed_objects"]] == [("img/logo.png", files["img/logo.png"])]
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"<p>hi</p>"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == ["index.html"]


def test_success_returns_an_empty_failed_list(stack, stack_backup, tmp_path):
    result = run_module(tmp_path, "strata.aws.s3_restore", {"src": str(stack_backup), "source_bucket": stack["bucket"]})
    assert (result["changed"], result["unchanged"], result["failed_objects"]) == (False, 2, [])
