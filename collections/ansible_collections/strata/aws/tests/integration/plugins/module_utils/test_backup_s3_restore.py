# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""S3 restore against the emulator: into another bucket, damaged files fail only their objects,
a damaged index uploads nothing, the restore modes keep or replace objects, throttled uploads
are retried whole, large objects go up in parts (the ``source`` fixture is in conftest.py)."""
from __future__ import annotations

import os

import pytest
from botocore.exceptions import ClientError

from ansible_collections.strata.aws.plugins.module_utils import backup_s3_restore
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.backup_s3_restore import restore_bucket

from .s3_support import OBJECTS, backup, delete_all, flip_a_byte, index_entries, put_objects, snapshot


def test_restore_into_another_bucket(s3, make_bucket, source, tmp_path):
    bucket, target = make_bucket(), make_bucket()
    put_objects(s3, bucket, OBJECTS)
    backup(s3, bucket, tmp_path, source)
    result = restore_bucket(s3, str(tmp_path), source_bucket=bucket, bucket=target)
    assert (result["bucket"], result["source_bucket"], result["uploaded"]) == (target, bucket, len(OBJECTS))
    assert snapshot(s3, target) == snapshot(s3, bucket)


def test_a_damaged_object_fails_only_that_object_on_restore(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    objects = {f"k{i}": (f"body {i} ".encode() * 50, {"ContentType": "text/plain", "Metadata": {"i": str(i)}})
               for i in range(8)}
    put_objects(s3, bucket, objects)
    before = snapshot(s3, bucket)
    backup(s3, bucket, tmp_path, source)
    files = {e["key"]: e["file"] for e in index_entries(tmp_path, bucket)}
    flip_a_byte(tmp_path / files["k2"])
    os.unlink(tmp_path / files["k5"])
    delete_all(s3, bucket)

    with pytest.raises(BackupError) as dry:
        restore_bucket(s3, str(tmp_path), check_mode=True)
    assert [f["key"] for f in dry.value.details["failed_objects"]] == ["k2", "k5"]
    assert (dry.value.details["uploaded"], snapshot(s3, bucket)) == (6, {})

    with pytest.raises(BackupError) as failure:
        restore_bucket(s3, str(tmp_path), concurrency=4)
    message, details = failure.value.msg, failure.value.details
    assert message.startswith(f"bucket {bucket}: 2 of 8 objects failed verification and were not restored to "
                              f"{bucket} (all the others were: 6 uploaded, 0 unchanged): ")
    assert f"{files['k2']} (s3://{bucket}/k2): sha256 is" in message
    assert f"{files['k5']} (s3://{bucket}/k5): file is missing" in message
    assert details["failed_objects"] == [
        {"key": "k2", "file": files["k2"], "reason": details["failed_objects"][0]["reason"]},
        {"key": "k5", "file": files["k5"], "reason": f"{files['k5']} (s3://{bucket}/k5): file is missing"},
    ]
    assert (details["uploaded"], details["unchanged"], details["object_count"]) == (6, 0, 8)
    assert snapshot(s3, bucket) == {k: v for k, v in before.items() if k not in ("k2", "k5")}

    # Objects the bucket already holds need no file: a damaged one that is intact live is no failure.
    put_objects(s3, bucket, {k: objects[k] for k in ("k2", "k5")})
    again = restore_bucket(s3, str(tmp_path), mode="overwrite")
    assert (again["uploaded"], again["unchanged"], again["failed_objects"]) == (0, 8, [])


def test_a_damaged_index_uploads_nothing(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"a": (b"a", {}), "b": (b"b", {})})
    result = backup(s3, bucket, tmp_path, source)
    flip_a_byte(tmp_path / result["index"])
    delete_all(s3, bucket)
    with pytest.raises(BackupError, match=rf"bucket {bucket}: its index failed verification, so no object "
                                          rf"of it can be trusted; nothing was uploaded to {bucket}: "
                                          rf"{result['index']}: sha256 is") as failure:
        restore_bucket(s3, str(tmp_path))
    assert failure.value.details["failed_objects"][0]["key"] is None
    assert (failure.value.details["uploaded"], snapshot(s3, bucket)) == (0, {})


def test_restore_missing_keeps_objects_and_overwrite_replaces_them(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {
        "same": (b"unchanged", {"ContentType": "text/plain"}),
        "edited": (b"original", {"ContentType": "text/plain", "Metadata": {"v": "1"}}),
        "retyped": (b"bytes kept", {"ContentType": "text/plain"}),
        "deleted": (b"comes back", {}),
    })
    backup(s3, bucket, tmp_path, source)
    s3.put_object(Bucket=bucket, Key="edited", Body=b"edited later", Metadata={"v": "2"})
    s3.copy_object(Bucket=bucket, Key="retyped", CopySource={"Bucket": bucket, "Key": "retyped"},
                   ContentType="application/json", MetadataDirective="REPLACE")
    s3.delete_object(Bucket=bucket, Key="deleted")
    s3.put_object(Bucket=bucket, Key="not-in-backup", Body=b"mine")

    dry = restore_bucket(s3, str(tmp_path), mode="missing", check_mode=True)
    assert (dry["uploaded"], dry["unchanged"]) == (1, 3)
    assert "deleted" not in snapshot(s3, bucket)

    result = restore_bucket(s3, str(tmp_path), mode="missing")
    assert (result["uploaded"], result["unchanged"]) == (1, 3)
    current = snapshot(s3, bucket)
    assert current["edited"][:2] == (b"edited later", {"v": "2"})
    assert current["deleted"][0] == b"comes back"

    result = restore_bucket(s3, str(tmp_path), mode="overwrite")
    assert (result["uploaded"], result["unchanged"]) == (2, 2)
    current = snapshot(s3, bucket)
    assert current["edited"][:2] == (b"original", {"v": "1"})
    assert current["retyped"][2]["ContentType"] == "text/plain"
    assert current["not-in-backup"][0] == b"mine"
    assert restore_bucket(s3, str(tmp_path), mode="overwrite")["uploaded"] == 0


class SlowDownOnce:
    """An S3 client whose first PutObject of each key reads the body, then fails with SlowDown
    (as a throttled attempt does); everything else goes to the real client."""

    def __init__(self, client):
        self._client = client
        self.throttled = set()

    def __getattr__(self, name):
        return getattr(self._client, name)

    def put_object(self, **kwargs):
        if kwargs["Key"] not in self.throttled:
            self.throttled.add(kwargs["Key"])
            kwargs["Body"].read()
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "reduce your request rate"}}, "PutObject")
        return self._client.put_object(**kwargs)


def test_a_throttled_upload_is_retried_with_the_whole_body(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"a": (b"alpha" * 1000, {"ContentType": "text/plain"}), "b": (b"bravo", {})})
    before = snapshot(s3, bucket)
    backup(s3, bucket, tmp_path, source)
    delete_all(s3, bucket)

    flaky = SlowDownOnce(s3)
    assert restore_bucket(flaky, str(tmp_path))["uploaded"] == 2
    assert flaky.throttled == {"a", "b"}
    assert snapshot(s3, bucket) == before


def test_large_objects_are_uploaded_in_parts(s3, make_bucket, source, tmp_path, monkeypatch):
    bucket = make_bucket()
    body = os.urandom(9 * 1024 * 1024)
    put_objects(s3, bucket, {"big": (body, {"ContentType": "video/mp4", "Metadata": {"m": "1"}})})
    backup(s3, bucket, tmp_path, source)
    delete_all(s3, bucket)
    monkeypatch.setattr(backup_s3_restore, "MULTIPART_THRESHOLD", 1024 * 1024)

    assert restore_bucket(s3, str(tmp_path))["uploaded"] == 1
    head = s3.head_object(Bucket=bucket, Key="big")
    assert "-" in head["ETag"]
    assert (head["ContentType"], head["Metadata"]) == ("video/mp4", {"m": "1"})
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == body
