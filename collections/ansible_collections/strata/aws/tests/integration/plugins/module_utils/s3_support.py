# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Objects and helpers shared by the S3 backup and restore tests (test_backup_s3.py,
test_backup_s3_restore.py); their fixtures ``s3`` and ``make_bucket`` are in conftest.py."""
from __future__ import annotations

import gzip
import json
import os
import time

from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import write_manifest
from ansible_collections.strata.aws.plugins.module_utils.backup_s3 import backup_bucket

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


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def index_entries(dest, bucket):
    with gzip.open(dest / "s3" / bucket / "index.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]
