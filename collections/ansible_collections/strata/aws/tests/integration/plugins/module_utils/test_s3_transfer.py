# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/s3_transfer.py against the emulator: a file past the threshold goes up in
parts, each with its SHA-256, and S3's composite checksum reads back as the file's; a
server-side copy, in one request or in parts, keeps the bytes, metadata and headers with S3's
checksum of the copy; a source replaced meanwhile is not copied. (The emulator checks
checksums as AWS does: strata_emulator/patches/s3_checksums.py.)"""
from __future__ import annotations

import hashlib
import os
import uuid

import pytest
from botocore.exceptions import ClientError

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client
from ansible_collections.strata.aws.plugins.module_utils.s3_transfer import (
    MIB,
    b64_sha256,
    changed_meanwhile,
    copy_object,
    file_checksums,
    upload_file,
)


@pytest.fixture
def s3(emulator_endpoint):
    return aws_client("s3")


@pytest.fixture
def bucket(s3):
    name = f"transfer-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def test_a_file_past_the_threshold_goes_in_parts_and_reads_back(s3, bucket, tmp_path):
    data = os.urandom(11 * MIB + 3)
    path = tmp_path / "table.jsonl.gz"
    path.write_bytes(data)

    sent = upload_file(s3, str(path), bucket, "big", threshold=5 * MIB, part_size=5 * MIB,
                       extra={"ContentType": "application/gzip"})
    assert (sent["size"], sent["sha256"], sent["part_size"]) == (len(data), hashlib.sha256(data).hexdigest(), 5 * MIB)
    assert sent["checksum"] == file_checksums(path, 5 * MIB)[2] and sent["checksum"].endswith("-3")
    head = s3.head_object(Bucket=bucket, Key="big", ChecksumMode="ENABLED")
    assert (head["ChecksumSHA256"], head["ContentLength"], head["ContentType"]) == (
        sent["checksum"], len(data), "application/gzip")
    assert head["ETag"].strip('"').endswith("-3")
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == data

    small = upload_file(s3, str(path), bucket, "whole", threshold=64 * MIB)
    assert small["part_size"] is None and small["checksum"] == b64_sha256(hashlib.sha256(data).hexdigest())
    assert s3.head_object(Bucket=bucket, Key="whole", ChecksumMode="ENABLED")["ChecksumSHA256"] == small["checksum"]


def test_an_upload_whose_file_changed_is_refused(s3, bucket, tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"what was hashed")
    with pytest.raises(ClientError) as refused:
        upload_file(s3, str(path), bucket, "k", sha256=hashlib.sha256(b"something else").hexdigest())
    assert refused.value.response["Error"]["Code"] == "BadDigest"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


@pytest.mark.parametrize("size, threshold, parts", [(3 * MIB, 5 * MIB, None), (11 * MIB, 5 * MIB, 3)])
def test_a_server_side_copy_keeps_bytes_metadata_and_headers(s3, bucket, size, threshold, parts, tmp_path):
    data = os.urandom(size)
    headers = {"ContentType": "video/mp4", "CacheControl": "max-age=60", "ContentDisposition": "inline",
               "Metadata": {"owner": "site", "revision": "7"}}
    s3.put_object(Bucket=bucket, Key="source", Body=data, **headers)
    etag = s3.head_object(Bucket=bucket, Key="source")["ETag"]

    copied = copy_object(s3, bucket, "source", bucket, "copy", size, etag=etag, threshold=threshold, part_size=5 * MIB)
    head = s3.head_object(Bucket=bucket, Key="copy", ChecksumMode="ENABLED")
    assert {k: head.get(k) for k in headers} == headers
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == data
    assert head["ChecksumSHA256"] == copied["checksum"]
    if parts is None:
        assert copied["checksum"] == b64_sha256(hashlib.sha256(data).hexdigest()) and copied["part_size"] is None
        assert copied["etag"] == hashlib.md5(data).hexdigest()
    else:
        assert copied["checksum"].endswith(f"-{parts}") and copied["part_size"] == 5 * MIB
        (tmp_path / "data").write_bytes(data)
        assert file_checksums(tmp_path / "data", 5 * MIB)[2] == copied["checksum"]


@pytest.mark.parametrize("size", [3 * MIB, 11 * MIB])
def test_a_source_replaced_since_it_was_read_is_not_copied(s3, bucket, size):
    s3.put_object(Bucket=bucket, Key="source", Body=os.urandom(size))
    etag = s3.head_object(Bucket=bucket, Key="source")["ETag"]
    s3.put_object(Bucket=bucket, Key="source", Body=os.urandom(size))
    with pytest.raises(ClientError) as refused:
        copy_object(s3, bucket, "source", bucket, "copy", size, etag=etag, threshold=5 * MIB, part_size=5 * MIB)
    assert changed_meanwhile(refused.value)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["source"]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
