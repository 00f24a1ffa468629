# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""S3 backup and restore against the emulator: bytes and metadata round-trip, backups are
incremental, verification catches corruption, restore modes keep or replace objects (the
``source`` fixture is in conftest.py)."""
from __future__ import annotations

import gzip
import json
import os
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from ansible_collections.strata.aws.plugins.module_utils import backup_s3
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import find_damage, verify, verify_live, write_manifest
from ansible_collections.strata.aws.plugins.module_utils.backup_s3 import (
    backup_bucket,
    count_objects,
    restore_bucket,
)

HEADERS = ("ContentType", "CacheControl", "ContentEncoding", "ContentDisposition", "ContentLanguage")

OBJECTS = {
    "index.html": (b"<html>hello</html>", {
        "ContentType": "text/html; charset=utf-8", "CacheControl": "max-age=60",
        "Metadata": {"owner": "site", "revision": "42"}}),
    "bin/all-bytes.dat": (bytes(range(256)) * 4, {"ContentType": "application/octet-stream"}),
    "bin/large.bin": (os.urandom(3 * 1024 * 1024 + 7), {"ContentType": "application/x-large"}),
    "styles/app.css.gz": (b"\x1f\x8b\x08\x00not-really-gzip\xff", {
        "ContentType": "text/css", "ContentEncoding": "gzip", "ContentLanguage": "en-GB",
        "ContentDisposition": 'attachment; filename="app.css"'}),
    "folder/": (b"", {}),
    "folder": (b"an object whose key is also a prefix", {}),
    "folder/child": (b"child", {"Metadata": {"k": "v"}}),
    "../escape attempt": (b"stays inside the backup", {}),
    "unicode/zażółć 🦄 日本.txt": ("unicode key ✓".encode(), {"ContentType": "text/plain; charset=utf-8"}),
    "deep/" + "x/" * 60 + "leaf": (b"deep", {}),
    "empty": (b"", {"ContentType": "text/plain"}),
}


@pytest.fixture
def s3(emulator_endpoint):
    return aws_client("s3", pool_size=16)


@pytest.fixture
def make_bucket(s3):
    """Create buckets; empty and delete them afterwards."""
    created = []

    def make():
        name = f"backup-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=name)
        created.append(name)
        return name

    yield make
    for name in created:
        delete_all(s3, name)
        s3.delete_bucket(Bucket=name)


def put_objects(s3, bucket, objects):
    for key, (body, args) in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body, **args)


def delete_all(s3, bucket):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])


def snapshot(s3, bucket):
    """Every object of ``bucket``: key -> (bytes, metadata, headers)."""
    result = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            response = s3.get_object(Bucket=bucket, Key=obj["Key"])
            headers = {h: response.get(h) for h in HEADERS}
            result[obj["Key"]] = (response["Body"].read(), response["Metadata"], headers)
    return result


def settle():
    """Let the second in which the objects were written pass: a backup trusts an object's
    LastModified only when it is older than the second the object was downloaded in."""
    time.sleep(1.1)


def backup(s3, bucket, dest, source, **kwargs):
    result = backup_bucket(s3, bucket, str(dest), source, **kwargs)
    write_manifest(str(dest), "test", [], [bucket])
    return result


class CountingGets:
    """Counts the GetObject requests a client sends (a botocore event hook, no stubbing)."""

    def __init__(self, client):
        self.count = 0
        client.meta.events.register("before-call.s3.GetObject", self._seen)

    def _seen(self, **_):
        self.count += 1


def test_objects_round_trip_with_bytes_and_metadata(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, OBJECTS)
    before = snapshot(s3, bucket)
    assert before["index.html"][1] == {"owner": "site", "revision": "42"}

    result = backup(s3, bucket, tmp_path, source, concurrency=4)
    total = sum(len(body) for body, _unused in OBJECTS.values())
    assert (result["object_count"], result["bytes"], result["downloaded"]) == (len(OBJECTS), total, len(OBJECTS))
    assert all(p.resolve().is_relative_to(tmp_path.resolve()) for p in tmp_path.rglob("*"))
    verify(str(tmp_path))

    delete_all(s3, bucket)
    restored = restore_bucket(s3, str(tmp_path), mode="missing", concurrency=4)
    assert (restored["uploaded"], restored["unchanged"]) == (len(OBJECTS), 0)
    assert snapshot(s3, bucket) == before


def test_restore_into_another_bucket(s3, make_bucket, source, tmp_path):
    bucket, target = make_bucket(), make_bucket()
    put_objects(s3, bucket, OBJECTS)
    backup(s3, bucket, tmp_path, source)
    result = restore_bucket(s3, str(tmp_path), source_bucket=bucket, bucket=target)
    assert (result["bucket"], result["source_bucket"], result["uploaded"]) == (target, bucket, len(OBJECTS))
    assert snapshot(s3, target) == snapshot(s3, bucket)


def test_incremental_backup_downloads_only_what_changed(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {f"obj/{i:03d}": (os.urandom(2048), {}) for i in range(40)})
    settle()
    first = tmp_path / "first"
    backup(s3, bucket, first, source)

    s3.put_object(Bucket=bucket, Key="obj/005", Body=b"changed body")
    s3.copy_object(Bucket=bucket, Key="obj/006", CopySource={"Bucket": bucket, "Key": "obj/006"},
                   Metadata={"retagged": "yes"}, MetadataDirective="REPLACE")
    s3.put_object(Bucket=bucket, Key="obj/new", Body=b"new object")
    s3.delete_object(Bucket=bucket, Key="obj/007")

    gets = CountingGets(s3)
    second = tmp_path / "second"
    result = backup(s3, bucket, second, source, previous=str(first))
    assert (result["object_count"], result["downloaded"], result["reused"]) == (40, 3, 37)
    assert gets.count == 3
    verify(str(second))
    entries = {e["key"]: e for e in _index(second, bucket)}
    assert entries["obj/006"]["metadata"] == {"retagged": "yes"}
    reused = second / entries["obj/010"]["file"]
    # A real copy, not a hard link: the two backups share no file.
    assert reused.read_bytes() == (first / entries["obj/010"]["file"]).read_bytes()
    assert not os.path.samefile(reused, first / entries["obj/010"]["file"])
    assert os.stat(reused).st_nlink == 1

    delete_all(s3, bucket)
    restore_bucket(s3, str(second))
    assert s3.get_object(Bucket=bucket, Key="obj/005")["Body"].read() == b"changed body"
    assert s3.head_object(Bucket=bucket, Key="obj/006")["Metadata"] == {"retagged": "yes"}


def test_a_change_in_the_second_of_the_download_is_never_missed(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"page": (b"body", {"Metadata": {"v": "1"}})})
    backup(s3, bucket, tmp_path / "first", source)
    s3.copy_object(Bucket=bucket, Key="page", CopySource={"Bucket": bucket, "Key": "page"},
                   Metadata={"v": "2"}, MetadataDirective="REPLACE")
    backup(s3, bucket, tmp_path / "second", source, previous=str(tmp_path / "first"))
    assert _index(tmp_path / "second", bucket)[0]["metadata"] == {"v": "2"}


def test_rerun_into_the_same_destination_reuses_its_files(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {f"k{i}": (os.urandom(100), {}) for i in range(10)})
    settle()
    backup_bucket(s3, bucket, str(tmp_path), source)
    gets = CountingGets(s3)
    result = backup_bucket(s3, bucket, str(tmp_path), source)
    assert (result["downloaded"], result["reused"], gets.count) == (0, 10, 0)


def test_a_corrupted_previous_file_is_downloaded_again(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"a": (b"alpha", {}), "b": (b"bravo", {})})
    settle()
    first = tmp_path / "first"
    backup(s3, bucket, first, source)
    entry = next(e for e in _index(first, bucket) if e["key"] == "a")
    (first / entry["file"]).write_bytes(b"ALPHA")

    second = tmp_path / "second"
    result = backup(s3, bucket, second, source, previous=str(first))
    assert (result["downloaded"], result["reused"]) == (1, 1)
    verify(str(second))


def _flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damaged", ["first", "second"])
def test_incremental_backups_share_no_file_so_damage_stays_in_one(s3, make_bucket, source, tmp_path, damaged):
    bucket = make_bucket()
    put_objects(s3, bucket, {f"obj/{i:02d}": (os.urandom(1024), {"Metadata": {"i": str(i)}}) for i in range(12)})
    settle()
    first, second = tmp_path / "first", tmp_path / "second"
    backup(s3, bucket, first, source)
    at_first = snapshot(s3, bucket)
    s3.put_object(Bucket=bucket, Key="obj/00", Body=b"changed after the first backup")
    at_second = snapshot(s3, bucket)
    result = backup(s3, bucket, second, source, previous=str(first))
    assert (result["downloaded"], result["reused"]) == (1, 11)

    files = {name: {e["key"]: dest / e["file"] for e in _index(dest, bucket)}
             for name, dest in (("first", first), ("second", second))}
    for key, path in files["second"].items():
        assert os.stat(path).st_ino != os.stat(files["first"][key]).st_ino, key
        assert os.stat(path).st_nlink == 1, key

    _flip_a_byte(files[damaged]["obj/05"])
    intact = second if damaged == "first" else first
    verify(str(intact))
    with pytest.raises(BackupError, match=rf"\(s3://{bucket}/obj/05\): sha256 is"):
        verify(str(tmp_path / damaged))

    delete_all(s3, bucket)
    restored = restore_bucket(s3, str(intact))
    assert (restored["uploaded"], restored["failed_objects"]) == (12, [])
    assert snapshot(s3, bucket) == (at_second if damaged == "first" else at_first)


def test_a_damaged_previous_file_is_not_copied_into_the_next_backup(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"a": (b"alpha" * 100, {}), "b": (b"bravo" * 100, {})})
    settle()
    first, second = tmp_path / "first", tmp_path / "second"
    backup(s3, bucket, first, source)
    entry = next(e for e in _index(first, bucket) if e["key"] == "a")
    _flip_a_byte(first / entry["file"])

    result = backup(s3, bucket, second, source, previous=str(first))
    assert (result["downloaded"], result["reused"]) == (1, 1)
    assert (second / entry["file"]).read_bytes() == b"alpha" * 100
    assert not list(second.rglob(".*.tmp"))
    verify(str(second))


def test_a_damaged_object_fails_only_that_object_on_restore(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    objects = {f"k{i}": (f"body {i} ".encode() * 50, {"ContentType": "text/plain", "Metadata": {"i": str(i)}})
               for i in range(8)}
    put_objects(s3, bucket, objects)
    before = snapshot(s3, bucket)
    backup(s3, bucket, tmp_path, source)
    files = {e["key"]: e["file"] for e in _index(tmp_path, bucket)}
    _flip_a_byte(tmp_path / files["k2"])
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
    _flip_a_byte(tmp_path / result["index"])
    delete_all(s3, bucket)
    with pytest.raises(BackupError, match=rf"bucket {bucket}: its index failed verification, so no object "
                                          rf"of it can be trusted; nothing was uploaded to {bucket}: "
                                          rf"{result['index']}: sha256 is") as failure:
        restore_bucket(s3, str(tmp_path))
    assert failure.value.details["failed_objects"][0]["key"] is None
    assert (failure.value.details["uploaded"], snapshot(s3, bucket)) == (0, {})


def test_verify_names_every_damaged_object(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {f"k{i}": (f"v{i}".encode(), {}) for i in range(5)})
    backup(s3, bucket, tmp_path, source)
    files = {e["key"]: e["file"] for e in _index(tmp_path, bucket)}
    for key in ("k0", "k3"):
        _flip_a_byte(tmp_path / files[key])
    os.unlink(tmp_path / files["k4"])

    manifest, damaged = find_damage(str(tmp_path))
    assert [(d["resource"], d["name"], d["key"], d["file"]) for d in damaged] == [
        ("bucket", bucket, key, files[key]) for key in ("k0", "k3", "k4")]
    with pytest.raises(BackupError) as failure:
        verify(str(tmp_path))
    assert failure.value.details["problems"] == [d["problem"] for d in damaged]
    assert failure.value.details["damaged"] == damaged


def test_check_mode_backup_reports_and_writes_nothing(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"a": (b"1", {}), "b": (b"22", {})})
    settle()
    first = tmp_path / "first"
    backup(s3, bucket, first, source)
    s3.put_object(Bucket=bucket, Key="c", Body=b"333")

    result = backup_bucket(s3, bucket, str(tmp_path / "dry"), None, previous=str(first), check_mode=True)
    assert {k: result[k] for k in ("object_count", "bytes", "downloaded", "reused")} == {
        "object_count": 3, "bytes": 6, "downloaded": 1, "reused": 2}
    assert not (tmp_path / "dry").exists()


def test_a_flipped_byte_in_an_object_fails_verify_naming_the_file(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"x": (b"some bytes", {}), "y": (b"other bytes", {})})
    backup(s3, bucket, tmp_path, source)
    entry = next(e for e in _index(tmp_path, bucket) if e["key"] == "y")
    path = tmp_path / entry["file"]
    data = bytearray(path.read_bytes())
    data[0] ^= 0x80
    path.write_bytes(bytes(data))

    with pytest.raises(BackupError, match=rf"{entry['file']} \(s3://{bucket}/y\): sha256 is") as failure:
        verify(str(tmp_path))
    assert failure.value.details["problems"] == [failure.value.msg.split(": ", 1)[1]]
    # Restore reads only the files of the objects it uploads: "y" still in the bucket needs none.
    assert restore_bucket(s3, str(tmp_path))["unchanged"] == 2
    s3.delete_object(Bucket=bucket, Key="y")
    with pytest.raises(BackupError, match="failed verification"):
        restore_bucket(s3, str(tmp_path))


def test_a_missing_object_file_fails_verify(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"x": (b"x", {})})
    backup(s3, bucket, tmp_path, source)
    entry = _index(tmp_path, bucket)[0]
    os.unlink(tmp_path / entry["file"])
    with pytest.raises(BackupError, match=rf"{entry['file']} \(s3://{bucket}/x\): file is missing"):
        verify(str(tmp_path))


def test_manifest_refuses_missing_object_files_and_indexes(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {"x": (b"x", {}), "y": (b"y", {})})
    result = backup_bucket(s3, bucket, str(tmp_path), source)
    entry = _index(tmp_path, bucket)[1]
    os.unlink(tmp_path / entry["file"])
    with pytest.raises(BackupError, match=rf"{entry['file']} \(s3://{bucket}/y\): file is missing"):
        write_manifest(str(tmp_path), "test", [], [bucket])
    os.unlink(tmp_path / result["index"])
    with pytest.raises(BackupError, match=rf"{result['index']}: file is missing"):
        write_manifest(str(tmp_path), "test", [], [bucket])
    with pytest.raises(BackupError, match="bucket other-bucket: not exported"):
        write_manifest(str(tmp_path), "test", [], ["other-bucket"])


def test_live_verify_compares_object_counts(s3, make_bucket, source, tmp_path):
    bucket = make_bucket()
    put_objects(s3, bucket, {f"k{i}": (b"v", {}) for i in range(5)})
    backup(s3, bucket, tmp_path, source)
    manifest = verify(str(tmp_path))

    def count(name):
        return count_objects(s3, name)

    assert verify_live(manifest, lambda table: 0, count)["buckets"] == {bucket: 5}
    s3.delete_object(Bucket=bucket, Key="k0")
    with pytest.raises(BackupError, match=f"bucket {bucket}: live holds 4 objects, backup holds 5"):
        verify_live(manifest, lambda table: 0, count)


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
    monkeypatch.setattr(backup_s3, "MULTIPART_THRESHOLD", 1024 * 1024)

    assert restore_bucket(s3, str(tmp_path))["uploaded"] == 1
    head = s3.head_object(Bucket=bucket, Key="big")
    assert "-" in head["ETag"]
    assert (head["ContentType"], head["Metadata"]) == ("video/mp4", {"m": "1"})
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == body


def _index(dest, bucket):
    with gzip.open(dest / "s3" / bucket / "index.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]
