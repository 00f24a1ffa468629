"""The emulator's S3 checksums, multipart uploads and server-side copies, as AWS keeps them.

moto 5.2.5 stored a checksum the client sent without computing it, answered no checksum on
CompleteMultipartUpload or UploadPartCopy and none with its suffix on HeadObject, refused
a CopyObject into a bucket with a default Object Lock retention, and gave a copy the
source's stored checksum (strata_emulator/patches/s3_checksums.py). Each case is checked
against the answer AWS gives.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from strata_emulator import patches

MIB = 1024 * 1024


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _sha(data: bytes) -> str:
    return _b64(hashlib.sha256(data).digest())


def _composite(parts: list[bytes]) -> str:
    return _b64(hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()) + f"-{len(parts)}"


@pytest.fixture
def s3(aws_session):
    return aws_session.client("s3", config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def bucket(s3):
    name = f"sums-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def locked(s3):
    name = f"locked-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    return name


def _code(raised: pytest.ExceptionInfo) -> str:
    return raised.value.response["Error"]["Code"]


def test_apply_all_names_the_patch():
    assert "s3_checksums" in patches.apply_all()


def test_a_body_that_does_not_match_its_checksum_is_refused(s3, bucket):
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="k", Body=b"abc", ChecksumAlgorithm="SHA256", ChecksumSHA256=_sha(b"xyz"))
    assert _code(refused) == "BadDigest" and "SHA256 you specified did not match" in str(refused.value)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"abc", ChecksumAlgorithm="SHA256", ChecksumSHA256=_sha(b"abc"))
    assert s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")["ChecksumSHA256"] == _sha(b"abc")


def test_a_multipart_upload_checks_and_answers_its_composite_checksum(s3, bucket):
    parts = [os.urandom(5 * MIB), os.urandom(MIB // 2)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big", ChecksumAlgorithm="SHA256",
                                        ContentType="application/x-test", Metadata={"owner": "strata"})
    listed = []
    for number, data in enumerate(parts, 1):
        with pytest.raises(ClientError) as refused:
            s3.upload_part(Bucket=bucket, Key="big", UploadId=upload["UploadId"], PartNumber=number, Body=data,
                           ChecksumAlgorithm="SHA256", ChecksumSHA256=_sha(b"another body"))
        assert _code(refused) == "BadDigest"
        answer = s3.upload_part(Bucket=bucket, Key="big", UploadId=upload["UploadId"], PartNumber=number, Body=data,
                                ChecksumAlgorithm="SHA256", ChecksumSHA256=_sha(data))
        assert answer["ChecksumSHA256"] == _sha(data)
        listed.append({"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": answer["ChecksumSHA256"]})
    swapped = [dict(listed[0], ChecksumSHA256=listed[1]["ChecksumSHA256"]), listed[1]]
    with pytest.raises(ClientError) as refused:
        s3.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=upload["UploadId"],
                                     MultipartUpload={"Parts": swapped})
    assert _code(refused) == "InvalidPart"
    done = s3.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": listed})
    assert (done["ChecksumSHA256"], done["ChecksumType"]) == (_composite(parts), "COMPOSITE")
    head = s3.head_object(Bucket=bucket, Key="big", ChecksumMode="ENABLED")
    assert (head["ChecksumSHA256"], head["ChecksumType"]) == (_composite(parts), "COMPOSITE")
    assert head["ContentType"] == "application/x-test" and head["Metadata"] == {"owner": "strata"}
    got = s3.get_object(Bucket=bucket, Key="big", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == _composite(parts) and got["Body"].read() == b"".join(parts)


def test_upload_part_copy_answers_the_parts_checksum(s3, bucket):
    data = os.urandom(5 * MIB + 100)
    s3.put_object(Bucket=bucket, Key="source", Body=data)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="copy", ChecksumAlgorithm="SHA256")
    ranges = [(0, 5 * MIB - 1), (5 * MIB, len(data) - 1)]
    listed = []
    for number, (first, last) in enumerate(ranges, 1):
        answer = s3.upload_part_copy(Bucket=bucket, Key="copy", UploadId=upload["UploadId"], PartNumber=number,
                                     CopySource={"Bucket": bucket, "Key": "source"},
                                     CopySourceRange=f"bytes={first}-{last}")["CopyPartResult"]
        assert answer["ChecksumSHA256"] == _sha(data[first:last + 1])
        listed.append({"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": answer["ChecksumSHA256"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="copy", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": listed})
    parts = [data[first:last + 1] for first, last in ranges]
    assert done["ChecksumSHA256"] == _composite(parts)
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == data


def test_a_copy_is_a_new_object_with_its_own_full_checksum(s3, bucket):
    parts = [os.urandom(5 * MIB), os.urandom(1000)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multi", ChecksumAlgorithm="SHA256")
    listed = []
    for number, data in enumerate(parts, 1):
        answer = s3.upload_part(Bucket=bucket, Key="multi", UploadId=upload["UploadId"], PartNumber=number, Body=data,
                                ChecksumAlgorithm="SHA256", ChecksumSHA256=_sha(data))
        listed.append({"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": answer["ChecksumSHA256"]})
    s3.complete_multipart_upload(Bucket=bucket, Key="multi", UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": listed})
    whole = b"".join(parts)
    # Without ChecksumAlgorithm: the source's algorithm, computed over the copy's bytes.
    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "multi"})
    head = s3.head_object(Bucket=bucket, Key="copied", ChecksumMode="ENABLED")
    assert (head["ChecksumSHA256"], head["ChecksumType"]) == (_sha(whole), "FULL_OBJECT")
    assert head["ETag"] == f'"{hashlib.md5(whole).hexdigest()}"'  # one part: a plain MD5
    # With it: that algorithm, answered by the copy.
    s3.put_object(Bucket=bucket, Key="plain", Body=b"hello", ContentType="text/plain", Metadata={"a": "b"})
    answer = s3.copy_object(Bucket=bucket, Key="plain-copy", CopySource={"Bucket": bucket, "Key": "plain"},
                            ChecksumAlgorithm="SHA256")
    assert answer["CopyObjectResult"]["ChecksumSHA256"] == _sha(b"hello")
    head = s3.head_object(Bucket=bucket, Key="plain-copy", ChecksumMode="ENABLED")
    assert (head["ChecksumSHA256"], head["ChecksumType"], head["ContentType"], head["Metadata"]) == (
        _sha(b"hello"), "FULL_OBJECT", "text/plain", {"a": "b"})


def test_a_copy_into_a_bucket_with_a_default_retention_is_accepted_and_retained(s3, bucket, locked):
    s3.put_object(Bucket=bucket, Key="source", Body=b"kept", ContentType="text/plain")
    s3.copy_object(Bucket=locked, Key="copy", CopySource={"Bucket": bucket, "Key": "source"}, ChecksumAlgorithm="SHA256")
    head = s3.head_object(Bucket=locked, Key="copy", ChecksumMode="ENABLED")
    assert head["ObjectLockMode"] == "GOVERNANCE" and head["ChecksumSHA256"] == _sha(b"kept")
    # A request with a body still needs its checksum there.
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=locked, Key="raw", Body=b"x", ChecksumAlgorithm="SHA256",
                            ChecksumSHA256=_sha(b"y"))
    assert _code(refused) == "BadDigest"
    # Object Lock headers on a copy into a bucket without Object Lock are still refused.
    with pytest.raises(ClientError) as refused:
        s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "source"},
                       ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate="2099-01-01T00:00:00Z")
    assert _code(refused) == "InvalidRequest"
