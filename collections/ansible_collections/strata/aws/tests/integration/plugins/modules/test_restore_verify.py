# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.restore_verify run by ansible: the stack compared with its own backup, then a
changed item and object named (the comparison: tests/integration/plugins/module_utils/test_backup_compare.py)."""
from __future__ import annotations

from ansible_adhoc import run_module


def test_compares_the_resources_with_the_backup_and_names_what_differs(stack, stack_backup, tmp_path):
    args = {"src": str(stack_backup), "tables": {stack["table"]: stack["table"]},
            "buckets": {stack["bucket"]: stack["bucket"]}}
    same = run_module(tmp_path, "strata.aws.restore_verify", args)
    assert (same.get("failed", False), same["changed"], same["ok"], same["problems"]) == (False, False, True, [])
    assert (same["tables"][0]["actual"], same["buckets"][0]["actual"]) == (3, 2)

    stack["ddb"].put_item(TableName=stack["table"], Item={"stat": {"S": "s1"}, "n": {"N": "9"}, "b": {"B": b"\xff"}})
    stack["s3"].put_object(Bucket=stack["bucket"], Key="index.html", Body=b"<p>hI</p>", ContentType="text/html")
    differs = run_module(tmp_path, "strata.aws.restore_verify", args)
    assert differs["failed"] is True and differs["ok"] is False
    assert differs["msg"].startswith("the restored resources differ from the backup: ")
    assert f"table {stack['table']}: stat=s1: item checksum is " in differs["msg"]
    assert f"bucket {stack['bucket']}: index.html: sha256 is " in differs["msg"]
    tolerated = run_module(tmp_path, "strata.aws.restore_verify", dict(args, tolerate_differences=True))
    # The item, the table's items digest against the manifest's items_sha256, and the object.
    assert (tolerated.get("failed", False), len(tolerated["problems"])) == (False, 3), tolerated["problems"]
    assert f"table {stack['table']}: its items' digest is " in tolerated["problems"][1]
