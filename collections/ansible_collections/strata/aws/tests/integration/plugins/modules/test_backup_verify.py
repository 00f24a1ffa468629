# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.backup_verify run by ansible on a backup taken from the emulator: against the
manifest and the live resources; failures name the file or resource."""
from __future__ import annotations

import gzip
import json

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


def _object_files(dest, bucket):
    with gzip.open(dest / "s3" / bucket / "index.jsonl.gz", "rt", encoding="utf-8") as handle:
        return {entry["key"]: entry["file"] for entry in map(json.loads, handle)}


def test_every_damaged_file_is_named_and_tolerate_damage_reports_without_failing(stack, stack_backup, tmp_path):
    table, bucket, dest = stack["table"], stack["bucket"], stack_backup
    files = _object_files(dest, bucket)
    table_file = dest / "dynamodb" / f"{table}.jsonl.gz"
    table_file.write_bytes(table_file.read_bytes()[:-1])
    logo = dest / files["img/logo.png"]
    logo.write_bytes(bytes([logo.read_bytes()[0] ^ 0x01]) + logo.read_bytes()[1:])
    (dest / files["index.html"]).unlink()
    expected = [
        ("table", table, None, f"dynamodb/{table}.jsonl.gz"),
        ("bucket", bucket, "img/logo.png", files["img/logo.png"]),
        ("bucket", bucket, "index.html", files["index.html"]),
    ]

    strict = run_module(tmp_path, "strata.aws.backup_verify", {"src": str(dest)})
    assert strict["failed"] is True
    assert [(d["resource"], d["name"], d["key"], d["file"]) for d in strict["damaged"]] == expected
    assert strict["problems"] == [d["problem"] for d in strict["damaged"]]
    for problem in (f"{files['img/logo.png']} (s3://{bucket}/img/logo.png): sha256 is",
                    f"{files['index.html']} (s3://{bucket}/index.html): file is missing",
                    f"dynamodb/{table}.jsonl.gz: size is"):
        assert problem in strict["msg"]

    tolerant = run_module(tmp_path, "strata.aws.backup_verify", {"src": str(dest), "tolerate_damage": True})
    assert tolerant.get("failed", False) is False and tolerant["changed"] is False
    assert tolerant["damaged"] == strict["damaged"] and tolerant["problems"] == strict["problems"]
    assert any("tolerate_damage" in warning for warning in tolerant["warnings"])

    no_manifest = run_module(tmp_path, "strata.aws.backup_verify",
                             {"src": str(tmp_path / "nope"), "tolerate_damage": True})
    assert no_manifest["failed"] is True and "has no manifest.json" in no_manifest["msg"]
