"""The emulator's S3 copies: the copy-source conditions, as AWS applies them.

moto 5.2.5 ignored x-amz-copy-source-if-match on CopyObject and UploadPartCopy, and
x-amz-copy-source-if-none-match on UploadPartCopy, so a copy meant for one version of an
object copied whatever the key held by then (strata_emulator/patches/s3_copy_conditions.py).
"""

from __future__ import annotations

import os
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from strata_emulator import patches

MIB = 1024 * 1024


@pytest.fixture
def s3(aws_session):
    return aws_session.client("s3", config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def bucket(s3):
    name = f"conditions-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="source", Body=os.urandom(5 * MIB + 1))
    return name


def _etag(s3, bucket):
    return s3.head_object(Bucket=bucket, Key="source")["ETag"]


def test_apply_all_names_the_patch():
    assert "s3_copy_conditions" in patches.apply_all()


def test_copy_object_honours_the_copy_source_conditions(s3, bucket):
    etag = _etag(s3, bucket)
    source = {"Bucket": bucket, "Key": "source"}
    s3.copy_object(Bucket=bucket, Key="copy", CopySource=source, CopySourceIfMatch=etag)
    with pytest.raises(ClientError) as refused:
        s3.copy_object(Bucket=bucket, Key="other", CopySource=source, CopySourceIfMatch='"0123456789abcdef"')
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    with pytest.raises(ClientError) as refused:
        s3.copy_object(Bucket=bucket, Key="other", CopySource=source, CopySourceIfNoneMatch=etag)
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == ["copy", "source"]


def test_upload_part_copy_honours_the_copy_source_conditions(s3, bucket):
    etag = _etag(s3, bucket)
    source = {"Bucket": bucket, "Key": "source"}
    upload = s3.create_multipart_upload(Bucket=bucket, Key="parts")
    part = s3.upload_part_copy(Bucket=bucket, Key="parts", UploadId=upload["UploadId"], PartNumber=1,
                               CopySource=source, CopySourceIfMatch=etag)
    assert part["CopyPartResult"]["ETag"]
    for condition in ({"CopySourceIfMatch": '"0123456789abcdef"'}, {"CopySourceIfNoneMatch": etag}):
        with pytest.raises(ClientError) as refused:
            s3.upload_part_copy(Bucket=bucket, Key="parts", UploadId=upload["UploadId"], PartNumber=2,
                                CopySource=source, **condition)
        assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    parts = s3.list_parts(Bucket=bucket, Key="parts", UploadId=upload["UploadId"])["Parts"]
    assert [p["PartNumber"] for p in parts] == [1]
