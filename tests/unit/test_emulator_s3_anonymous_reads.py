"""The emulator's S3: an unsigned read of a private object is refused, as on AWS.

moto 5.2.5 checked an anonymous GET against the bucket policy without its principal, so the site
bucket's policy (reads for the CloudFront service only) let everyone read
(strata_emulator/patches/s3_anonymous_reads.py); playbooks/verify.yml checks that the site bucket
refuses a direct read.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest

from strata_emulator import patches

BODY = b"<!doctype html><title>private</title>\n"


@pytest.fixture
def s3(aws_session):
    return aws_session.client("s3")


@pytest.fixture
def bucket(s3):
    name = f"anonymous-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="index.html", Body=BODY)
    yield name
    versions = s3.list_object_versions(Bucket=name)
    for entry in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        s3.delete_object(Bucket=name, Key=entry["Key"], VersionId=entry["VersionId"])
    s3.delete_bucket(Bucket=name)


def unsigned(url, method="GET"):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_apply_all_names_the_patch():
    assert "s3_anonymous_reads" in patches.apply_all()


def test_a_private_object_is_refused_unsigned_and_read_signed(s3, bucket, emulator_endpoint):
    assert unsigned(f"{emulator_endpoint}/{bucket}/index.html")[0] == 403
    assert unsigned(f"{emulator_endpoint}/{bucket}/index.html", "HEAD")[0] == 403
    # A missing key is refused too (no ListBucket for everyone), as AWS answers.
    assert unsigned(f"{emulator_endpoint}/{bucket}/nothing.html")[0] == 403
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == BODY


def test_a_policy_for_the_cdn_alone_refuses_everyone_else(s3, bucket, emulator_endpoint):
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    status, body = unsigned(f"{emulator_endpoint}/{bucket}/index.html")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    assert unsigned(f"{emulator_endpoint}/{bucket}/nothing.html")[0] == 403
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == BODY


def test_a_deleted_object_of_a_versioned_bucket_is_refused_not_an_error(s3, bucket, emulator_endpoint):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="index.html", Body=BODY)
    s3.delete_object(Bucket=bucket, Key="index.html")  # leaves a delete marker
    assert unsigned(f"{emulator_endpoint}/{bucket}/index.html")[0] == 403
    assert unsigned(f"{emulator_endpoint}/{bucket}/index.html", "HEAD")[0] == 403


def test_a_presigned_url_still_reads(s3, bucket):
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "index.html"}, ExpiresIn=60)
    assert unsigned(url) == (200, BODY)


def test_a_public_policy_or_acl_reads_unless_the_public_access_block_says_otherwise(s3, bucket, emulator_endpoint):
    url = f"{emulator_endpoint}/{bucket}/index.html"
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert unsigned(url) == (200, BODY)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    assert unsigned(url)[0] == 403
    s3.delete_bucket_policy(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="public.html", Body=b"hello", ACL="public-read")
    assert unsigned(f"{emulator_endpoint}/{bucket}/public.html") == (200, b"hello")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    assert unsigned(f"{emulator_endpoint}/{bucket}/public.html")[0] == 403
