"""S3 versioning: delete objects and delete markers, and write to suspended buckets, as AWS does.

moto 5.2.5 (``moto.s3.models.S3Backend.delete_object``, which DeleteObjects calls for each
key) tests ``bucket.is_versioned``, which is true only while versioning is ``Enabled``. A
bucket whose versioning is ``Suspended`` therefore takes the unversioned path,
``bucket.keys.pop(key)``, which drops every version of the key and calls ``dispose()`` on
each; ``FakeDeleteMarker`` has no ``dispose``, so once the key has a delete marker the
request fails with HTTP 500 (``'FakeDeleteMarker' object has no attribute 'dispose'``).
The Terraform provider retries that silently for many minutes, so emptying such a bucket
(``force_destroy``, which deletes every version and delete marker by id) hangs. Further:
- on a suspended bucket a delete by version id, or without one, drops all versions, and
  ``put_object`` replaces all versions by the new object;
- deleting a delete marker by version id answers ``DeleteMarker`` only when that marker
  sits on another marker, and DeleteObjects never names the marker it removed;
- on an enabled bucket, a delete without version id of a key that has no version adds
  no delete marker.

AWS (S3 user guide, "Deleting object versions", "Working with objects in a
versioning-suspended bucket"; DeleteObject/DeleteObjects API):
- with a version id, exactly that version (object or delete marker) is removed for good,
  whatever the bucket's versioning state; removing a delete marker answers
  ``x-amz-delete-marker: true``, and DeleteObjects answers ``DeleteMarker`` true with
  ``DeleteMarkerVersionId`` the marker's id;
- without one, an enabled bucket adds a delete marker with a new version id (even when the
  key has no version); a suspended bucket removes the key's null version (object or
  marker) and adds a delete marker whose version id is ``null``;
- a put into a suspended bucket replaces only the null version; other versions stay.
A bucket that was never versioned keeps moto's behaviour (the key is removed).
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

from moto.s3 import models, notifications
from moto.s3.exceptions import AccessDeniedByLock, MethodNotAllowed

NULL = "null"


def apply() -> None:
    models.FakeDeleteMarker.dispose = _dispose_nothing
    original_delete_object = models.S3Backend.delete_object
    original_put_object = models.S3Backend.put_object

    @functools.wraps(original_delete_object)
    def delete_object(
        self: models.S3Backend,
        bucket_name: str,
        key_name: str,
        version_id: str | None = None,
        bypass: bool = False,
    ) -> tuple[bool, dict[str, Any]]:
        bucket = self.get_bucket(bucket_name)
        if isinstance(bucket, models.FakeTableStorageBucket):
            raise MethodNotAllowed()
        if bucket.versioning_status not in ("Enabled", "Suspended"):
            return original_delete_object(self, bucket_name, key_name, version_id, bypass)
        if version_id is not None:
            return _delete_version(self, bucket, key_name, str(version_id), bypass)
        return _add_delete_marker(bucket, key_name, suspended=not bucket.is_versioned)

    @functools.wraps(models.S3Backend.delete_objects)
    def delete_objects(
        self: models.S3Backend,
        bucket_name: str,
        objects: list[dict[str, Any]],
        bypass_retention: bool = False,
    ) -> tuple[list[tuple[str, str | None, str | None]], list[str]]:
        deleted, errors = [], []
        for object_ in objects:
            key_name, version_id = object_["Key"], object_.get("VersionId")
            try:
                _, meta = self.delete_object(
                    bucket_name, key_name, version_id=version_id, bypass=bypass_retention
                )
            except AccessDeniedByLock:
                errors.append(key_name)
                continue
            marker_id = meta.get("version-id") if meta.get("delete-marker") else None
            deleted.append((key_name, version_id, marker_id))
        return deleted, errors

    @functools.wraps(original_put_object)
    def put_object(self: models.S3Backend, bucket_name: str, key_name: str, *args, **kwargs):
        bucket = self.get_bucket(bucket_name)
        if bucket.versioning_status != "Suspended":
            return original_put_object(self, bucket_name, key_name, *args, **kwargs)
        # moto keeps only the new (null) version; set aside the others, undisposed.
        versions = bucket.keys.getlist(key_name, [])
        kept = [v for v in versions if str(v.version_id) != NULL]
        dict.__setitem__(bucket.keys, key_name, [v for v in versions if v not in kept])
        try:
            new_key = original_put_object(self, bucket_name, key_name, *args, **kwargs)
        finally:
            dict.__setitem__(bucket.keys, key_name, kept + bucket.keys.getlist(key_name, []))
        return new_key

    models.S3Backend.delete_object = delete_object
    models.S3Backend.delete_objects = delete_objects
    models.S3Backend.put_object = put_object


def _dispose_nothing(self: models.FakeDeleteMarker, garbage: bool = False) -> None:
    """A delete marker holds no data, so there is nothing to release."""


def _delete_version(
    backend: models.S3Backend,
    bucket: models.FakeBucket,
    key_name: str,
    version_id: str,
    bypass: bool,
) -> tuple[bool, dict[str, Any]]:
    versions = bucket.keys.getlist(key_name, [])
    target = next((v for v in versions if str(v.version_id) == version_id), None)
    meta: dict[str, Any] = {"version-id": version_id}
    if target is None:
        return False, meta
    if isinstance(target, models.FakeKey) and target.is_locked(governance_bypass=bypass):
        raise AccessDeniedByLock
    if isinstance(target, models.FakeDeleteMarker):
        meta["delete-marker"] = "true"
    _set_versions(bucket, key_name, [v for v in versions if v is not target])
    if isinstance(target, models.FakeKey):
        notifications.send_event(
            backend.account_id,
            notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_EVENT,
            bucket,
            target,
        )
    return True, meta


def _add_delete_marker(
    bucket: models.FakeBucket, key_name: str, suspended: bool
) -> tuple[bool, dict[str, Any]]:
    versions = bucket.keys.getlist(key_name, [])
    marker = models.FakeDeleteMarker(
        key=versions[-1] if versions else SimpleNamespace(name=key_name)
    )
    if suspended:
        marker._version_id = NULL
        versions = [v for v in versions if str(v.version_id) != NULL]
    _set_versions(bucket, key_name, versions + [marker])
    return True, {"version-id": marker.version_id, "delete-marker": "true"}


def _set_versions(bucket: models.FakeBucket, key_name: str, versions: list[Any]) -> None:
    """Keep ``versions`` of the key (latest last), disposing of the objects left out."""
    bucket.keys.setlist(key_name, versions)
    if not versions:
        dict.pop(bucket.keys, key_name)
