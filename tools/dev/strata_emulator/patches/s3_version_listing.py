"""S3 ListObjectVersions: resume after a key and version marker even when that version is gone.

moto 5.2.5 (``moto.s3.models.S3Backend.list_object_versions``) resumes a listing by
searching for the exact version named by ``KeyMarker`` and ``VersionIdMarker`` and
returning what follows it; when that version has been deleted it never finds it and
returns an empty, untruncated page. The Terraform provider's ``force_destroy`` pages
through the versions deleting each page before asking for the next, so on a bucket with
more versions than one page holds it stops after the first page, and deleting the bucket
then fails with BucketNotEmpty.

AWS: the markers name a position in the listing's order (key ascending, then versions of
a key newest first); the next page starts after that position whether or not the version
still exists.

The patch remembers when each removed version was written (``_VersionedKeyStore``
records what ``setlist`` and ``pop`` drop), and when the marker's version is gone it
resumes after the last remaining version that sorts before it.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.core.utils import unix_time_millis
from moto.s3 import models, utils


def apply() -> None:
    store = utils._VersionedKeyStore
    original_setlist, original_pop = store.setlist, store.pop
    original_list = models.S3Backend.list_object_versions

    @functools.wraps(original_setlist)
    def setlist(self: utils._VersionedKeyStore, key: Any, list_: Any) -> Any:
        kept = list_ if isinstance(list_, (list, tuple)) else [list_]
        _remember(self, [v for v in self.getlist(key, []) if v not in kept])
        return original_setlist(self, key, list_)

    @functools.wraps(original_pop)
    def pop(self: utils._VersionedKeyStore, key: str) -> None:
        _remember(self, self.getlist(key, []))
        return original_pop(self, key)

    @functools.wraps(original_list)
    def list_object_versions(
        self: models.S3Backend, bucket_name: str, *args: Any, **kwargs: Any
    ) -> Any:
        key_marker, version_id_marker = kwargs.get("key_marker"), kwargs.get("version_id_marker")
        if key_marker and version_id_marker:
            keys = self.get_bucket(bucket_name).keys
            written = getattr(keys, "_strata_removed", {}).get((key_marker, version_id_marker))
            present = any(
                str(v.version_id) == version_id_marker for v in keys.getlist(key_marker, [])
            )
            if written is not None and not present:
                before = _last_remaining_before(keys, (key_marker, -written))
                kwargs["key_marker"] = before.name if before else None
                kwargs["version_id_marker"] = before.version_id if before else None
        return original_list(self, bucket_name, *args, **kwargs)

    store.setlist, store.pop = setlist, pop
    models.S3Backend.list_object_versions = list_object_versions


def _order(version: Any) -> tuple[str, int]:
    """moto's listing order: key ascending, then newest first."""
    return version.name, -unix_time_millis(version.last_modified)


def _remember(store: utils._VersionedKeyStore, removed: list[Any]) -> None:
    if removed:
        record = store.__dict__.setdefault("_strata_removed", {})
        for version in removed:
            record[(version.name, str(version.version_id))] = -_order(version)[1]


def _last_remaining_before(store: utils._VersionedKeyStore, position: tuple[str, int]) -> Any:
    """The remaining version that moto's (stable) sort puts last among those before it."""
    remaining = [v for versions in dict(store).values() for v in versions if _order(v) < position]
    return max(reversed(remaining), key=_order, default=None)
