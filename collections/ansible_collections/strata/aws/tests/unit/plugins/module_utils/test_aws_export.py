# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/aws_export.py: finding, reading and verifying AWS DynamoDB export directories,
built by the ``aws_export_dir`` fixture (tests/conftest.py) with real gzip files and real
md5s, no emulator. Restoring a table from one: tests/integration/plugins/module_utils/test_aws_export.py."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json

import pytest

from ansible_collections.strata.aws.plugins.module_utils.aws_export import (
    find_aws_export,
    load_aws_export,
    md5_matches,
    verify_aws_export,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError


def test_md5_checksum_is_base64_of_the_digest_as_aws_writes_it_or_hex():
    digest = hashlib.md5(b"data").digest()
    assert md5_matches(base64.b64encode(digest).decode(), digest)
    assert md5_matches(digest.hex(), digest)
    assert md5_matches(digest.hex().upper(), digest)
    assert not md5_matches(base64.b64encode(hashlib.md5(b"other").digest()).decode(), digest)
    assert not md5_matches("not base64 at all!", digest)


def test_an_aws_export_is_found_from_its_prefix_its_awsdynamodb_dir_or_itself(aws_export_dir):
    prefix_dir, export_dir = aws_export_dir("t", [[{"pk": {"S": "a"}}]])
    for path in (prefix_dir, prefix_dir / "AWSDynamoDB", export_dir):
        assert find_aws_export(str(path)) == str(export_dir)
    export = load_aws_export(str(prefix_dir))
    assert (export["table"], export["item_count"], export["export_id"]) == ("t", 1, "01732000000000-a1b2c3d4")
    assert export["files"][0]["file"].startswith("data/") and export["files"][0]["file"].endswith(".json.gz")


def test_several_exports_or_none_are_refused_naming_them(tmp_path, aws_export_dir):
    prefix_dir, _unused = aws_export_dir("t", [[]], export_id="01700000000000-aaaaaaaa")
    aws_export_dir("t", [[]], export_id="01700000000001-bbbbbbbb")
    with pytest.raises(BackupError, match="holds 2 exports .01700000000000-aaaaaaaa, 01700000000001-bbbbbbbb"):
        find_aws_export(str(prefix_dir))
    with pytest.raises(BackupError, match="is not an AWS DynamoDB export"):
        find_aws_export(str(tmp_path / "awsexport" / "exports"))
    with pytest.raises(BackupError, match="does not exist"):
        find_aws_export(str(tmp_path / "nowhere"))


def test_every_damaged_data_file_of_an_aws_export_is_named(aws_export_dir):
    items = [{"pk": {"S": str(i)}} for i in range(9)]
    _unused, export_dir = aws_export_dir("t", [items[:3], items[3:6], items[6:], []])
    verify_aws_export(str(export_dir))
    keys = [json.loads(line)["dataFileS3Key"] for line in (export_dir / "manifest-files.json").read_text().splitlines()]
    names = [key.rsplit("/", 1)[1] for key in keys]
    (export_dir / "data" / names[0]).write_bytes(b"\0" + (export_dir / "data" / names[0]).read_bytes()[1:])
    (export_dir / "data" / names[2]).unlink()
    (export_dir / "data" / names[3]).write_bytes(b"junk")

    with pytest.raises(BackupError) as failure:
        verify_aws_export(str(export_dir))
    problems = failure.value.details["problems"]
    assert [p.split(":")[0] for p in problems] == [f"data/{names[0]}", f"data/{names[2]}", f"data/{names[3]}"]
    assert "md5 is " in problems[0] and "manifest-files.json says" in problems[0]
    assert problems[1] == f"data/{names[2]}: file is missing"


def test_a_whole_file_with_another_line_count_or_a_truncated_one(aws_export_dir):
    _unused, export_dir = aws_export_dir("t", [[{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]])
    line = json.loads((export_dir / "manifest-files.json").read_text())
    path = export_dir / "data" / line["dataFileS3Key"].rsplit("/", 1)[1]

    def rewrite(data):
        path.write_bytes(data)
        line["md5Checksum"] = base64.b64encode(hashlib.md5(data).digest()).decode()
        (export_dir / "manifest-files.json").write_text(json.dumps(line) + "\n")

    whole = path.read_bytes()
    rewrite(whole[:-8])  # the gzip trailer cut off
    with pytest.raises(BackupError, match=r"not a whole gzip file \(the gzip stream stops in the middle"):
        verify_aws_export(str(export_dir))
    rewrite(gzip.compress(b'{"Item":{"pk":{"S":"a"}}}\n') + gzip.compress(b'{"Item":{"pk":{"S":"b"}}}'))
    verify_aws_export(str(export_dir))  # two gzip members, the last line without its newline: 2 items
    rewrite(gzip.compress(b'{"Item":{"pk":{"S":"a"}}}\n'))
    with pytest.raises(BackupError, match="holds 1 items, manifest-files.json says 2"):
        verify_aws_export(str(export_dir))


@pytest.mark.parametrize("field, value, message", [
    ("exportType", "INCREMENTAL_EXPORT", "only a FULL_EXPORT holds whole items"),
    ("outputFormat", "ION", "only DYNAMODB_JSON exports restore"),
    ("itemCount", None, "expected an export summary with an itemCount"),
])
def test_exports_it_cannot_restore_are_refused(aws_export_dir, field, value, message):
    _unused, export_dir = aws_export_dir("t", [[]])
    summary = json.loads((export_dir / "manifest-summary.json").read_text())
    summary[field] = value
    (export_dir / "manifest-summary.json").write_text(json.dumps(summary))
    with pytest.raises(BackupError, match=message):
        load_aws_export(str(export_dir))


def test_a_data_file_key_cannot_leave_the_export(aws_export_dir):
    _unused, export_dir = aws_export_dir("t", [[]])
    line = json.loads((export_dir / "manifest-files.json").read_text())
    line["dataFileS3Key"] = "AWSDynamoDB/01732000000000-a1b2c3d4/data/../../../../etc/passwd"
    (export_dir / "manifest-files.json").write_text(json.dumps(line) + "\n")
    with pytest.raises(BackupError) as failure:
        verify_aws_export(str(export_dir))
    assert "points outside" in failure.value.msg
