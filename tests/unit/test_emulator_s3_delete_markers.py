"""The emulator's S3 versioning: deleting objects and delete markers as AWS does.

moto 5.2.5 answered DeleteObjects (and DeleteObject) with HTTP 500 once a bucket whose
versioning is suspended held a delete marker, and in a suspended bucket it dropped every
version of a key on a delete or a put (strata_emulator/patches/s3_versioning.py); a
ListObjectVersions page after a deleted marker version came back empty
(patches/s3_version_listing.py). Each case here is checked against the answer AWS gives.
"""

from __future__ import annotations

import uuid
from urllib.parse import unquote

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from strata_emulator import patches


@pytest.fixture
def s3(aws_session):
    # No retries: the provider's silent retries on HTTP 500 are what hid the failure.
    return aws_session.client("s3", config=Config(retries={"total_max_attempts": 1}))


def _bucket(s3, versioning: str | None = "Enabled") -> str:
    bucket = f"versions-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    if versioning:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    if versioning == "Suspended":
        _suspend(s3, bucket)
    return bucket


def _suspend(s3, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})


def _versions(s3, bucket: str, key: str) -> tuple[set[str], set[str]]:
    """The version ids of ``key``'s objects and of its delete markers."""
    listing = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return (
        {v["VersionId"] for v in listing.get("Versions", []) if v["Key"] == key},
        {m["VersionId"] for m in listing.get("DeleteMarkers", []) if m["Key"] == key},
    )


def _delete(s3, bucket: str, key: str, version_id: str | None = None) -> dict:
    entry = {"Key": key} if version_id is None else {"Key": key, "VersionId": version_id}
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [entry]})
    assert "Errors" not in answer, answer.get("Errors")
    [deleted] = answer["Deleted"]
    return deleted


def _body(s3, bucket: str, key: str) -> bytes | None:
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchKey"
        return None


def test_the_patch_is_applied_by_the_launcher():
    assert {"s3_version_listing", "s3_versioning"} <= set(patches.apply_all())


# --- the reported failure: a delete marker in a suspended bucket ---------------------


def test_delete_objects_without_version_id_in_a_suspended_bucket_holding_a_delete_marker(s3):
    """AWS: the delete adds a delete marker whose version id is null; older versions stay."""
    bucket = _bucket(s3)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    _suspend(s3, bucket)

    deleted = _delete(s3, bucket, "k")

    assert deleted == {"Key": "k", "DeleteMarker": True, "DeleteMarkerVersionId": "null"}
    assert _versions(s3, bucket, "k") == ({v1}, {marker, "null"})
    assert _body(s3, bucket, "k") is None


@pytest.mark.parametrize("versioning", ["Enabled", "Suspended"])
def test_delete_objects_removes_a_delete_marker_by_version_id(s3, versioning):
    """AWS: the marker is removed for good, the version below it is current again, and the
    answer names the marker (DeleteMarker true, DeleteMarkerVersionId its id)."""
    bucket = _bucket(s3)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    if versioning == "Suspended":
        _suspend(s3, bucket)

    deleted = _delete(s3, bucket, "k", marker)

    assert deleted == {
        "Key": "k",
        "VersionId": marker,
        "DeleteMarker": True,
        "DeleteMarkerVersionId": marker,
    }
    assert _versions(s3, bucket, "k") == ({v1}, set())
    assert _body(s3, bucket, "k") == b"1"


@pytest.mark.parametrize("versioning", ["Enabled", "Suspended"])
def test_delete_objects_removes_only_the_object_version_named(s3, versioning):
    bucket = _bucket(s3)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"2")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    if versioning == "Suspended":
        _suspend(s3, bucket)

    assert _delete(s3, bucket, "k", v2) == {"Key": "k", "VersionId": v2}
    assert _versions(s3, bucket, "k") == ({v1}, {marker})

    _delete(s3, bucket, "k", marker)
    assert _body(s3, bucket, "k") == b"1"


def test_suspended_delete_replaces_the_null_version(s3):
    """AWS: in a suspended bucket a delete without version id removes the null version
    (object or delete marker) and puts a null delete marker in its place."""
    bucket = _bucket(s3)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]
    _suspend(s3, bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"null version")
    assert _versions(s3, bucket, "k") == ({v1, "null"}, set())

    first = s3.delete_object(Bucket=bucket, Key="k")
    assert (first["DeleteMarker"], first["VersionId"]) == (True, "null")
    assert _versions(s3, bucket, "k") == ({v1}, {"null"})

    assert _delete(s3, bucket, "k")["DeleteMarkerVersionId"] == "null"
    assert _versions(s3, bucket, "k") == ({v1}, {"null"})

    assert _delete(s3, bucket, "k", "null")["DeleteMarker"] is True
    assert _versions(s3, bucket, "k") == ({v1}, set())
    assert _body(s3, bucket, "k") == b"1"


def test_suspended_put_replaces_only_the_null_version(s3):
    bucket = _bucket(s3)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    _suspend(s3, bucket)

    s3.put_object(Bucket=bucket, Key="k", Body=b"a")
    s3.put_object(Bucket=bucket, Key="k", Body=b"b")

    assert _versions(s3, bucket, "k") == ({v1, "null"}, {marker})
    assert _body(s3, bucket, "k") == b"b"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"1"


def test_enabled_delete_of_a_missing_key_adds_a_delete_marker(s3):
    bucket = _bucket(s3)
    deleted = _delete(s3, bucket, "never-written")
    assert deleted["DeleteMarker"] is True
    assert _versions(s3, bucket, "never-written") == (set(), {deleted["DeleteMarkerVersionId"]})


def test_delete_object_with_version_id_answers_like_delete_objects(s3):
    bucket = _bucket(s3, "Suspended")
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    s3.delete_object(Bucket=bucket, Key="k")
    answer = s3.delete_object(Bucket=bucket, Key="k", VersionId="null")
    assert (answer["DeleteMarker"], answer["VersionId"]) == (True, "null")
    assert _versions(s3, bucket, "k") == (set(), set())


def test_unversioned_bucket_deletes_without_markers(s3):
    bucket = _bucket(s3, None)
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    assert _delete(s3, bucket, "k") == {"Key": "k"}
    assert _versions(s3, bucket, "k") == (set(), set())


# --- what the Terraform provider's force_destroy does -----------------------------


def _empty_like_force_destroy(s3, bucket: str, page_size: int) -> int:
    """Empty the bucket as the provider's force_destroy does (internal/service/s3/delete.go,
    emptyBucket): page through ListObjectVersions (EncodingType url) deleting each page's
    object versions with one quiet DeleteObjects naming them by version id, then page
    through again deleting the delete markers the same way."""
    removed = 0
    for listed in ("Versions", "DeleteMarkers"):
        pages = s3.get_paginator("list_object_versions").paginate(
            Bucket=bucket, EncodingType="url", PaginationConfig={"PageSize": page_size}
        )
        for page in pages:
            entries = [
                {"Key": unquote(v["Key"]), "VersionId": v["VersionId"]}
                for v in page.get(listed, [])
            ]
            if not entries:
                continue
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": entries, "Quiet": True})
            assert "Errors" not in answer, answer["Errors"]
            removed += len(entries)
    return removed


@pytest.mark.parametrize("page_size", [1000, 3])
def test_force_destroy_empties_a_suspended_bucket_with_delete_markers(s3, page_size):
    bucket = _bucket(s3)
    for key in ("a", "b", "dir/c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
        s3.put_object(Bucket=bucket, Key=key, Body=b"2")
    s3.delete_object(Bucket=bucket, Key="a")
    s3.delete_object(Bucket=bucket, Key="a")
    s3.delete_object(Bucket=bucket, Key="b")
    _suspend(s3, bucket)
    s3.put_object(Bucket=bucket, Key="dir/c", Body=b"null")
    s3.put_object(Bucket=bucket, Key="d", Body=b"null")
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "b"}, {"Key": "d"}]})

    # a: 2 objects + 2 markers; b: 2 objects, 1 marker, 1 null marker;
    # dir/c: 2 objects + null object; d: null marker.
    assert _empty_like_force_destroy(s3, bucket, page_size) == 12
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)
    assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def _listing(s3, bucket: str) -> list[tuple[str, str]]:
    listing = s3.list_object_versions(Bucket=bucket)
    entries = listing.get("Versions", []) + listing.get("DeleteMarkers", [])
    return sorted((e["Key"], e["VersionId"]) for e in entries)


def _many_versions(s3) -> str:
    bucket = _bucket(s3)
    for key in ("a", "b", "c"):
        for body in (b"1", b"2", b"3"):
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        s3.delete_object(Bucket=bucket, Key=key)
    _suspend(s3, bucket)
    s3.put_object(Bucket=bucket, Key="b", Body=b"null")
    return bucket


def test_paging_through_versions_is_unchanged_when_nothing_is_deleted(s3):
    bucket = _many_versions(s3)
    pages = s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 2}
    )
    paged = sorted(
        (e["Key"], e["VersionId"])
        for page in pages
        for e in page.get("Versions", []) + page.get("DeleteMarkers", [])
    )
    assert paged == _listing(s3, bucket)
    assert len(paged) == 13


def test_a_page_after_a_deleted_marker_version_resumes_where_it_was(s3):
    """AWS: the markers name a position, so deleting each page before asking for the next
    still visits every version once."""
    bucket = _many_versions(s3)
    everything = _listing(s3, bucket)
    pages = s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 1}
    )
    seen = []
    for page in pages:
        for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
            seen.append((entry["Key"], entry["VersionId"]))
            s3.delete_object(Bucket=bucket, Key=entry["Key"], VersionId=entry["VersionId"])
    assert sorted(seen) == everything
    assert _listing(s3, bucket) == []
