# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Back up the current objects of an S3 bucket with their metadata.

Bodies stream to disk in chunks on a bounded thread pool; the index is written in listing
order (S3 lists keys in UTF-8 binary order), so earlier indexes and live listings can be
matched against it by a forward merge instead of being held in memory.

Incremental: an object whose key, size, ETag and LastModified equal an earlier index
entry (of ``previous`` or of this destination's own earlier run) is copied from that backup
instead of downloaded: a real copy (bytes read and written, never a hard link), checked
against the recorded SHA-256 as it is written, so no file is shared between two backups
and a damaged earlier file is downloaded again instead of spreading. Any change to an object,
metadata included, gives it a new LastModified; as S3 times have a resolution of one
second, an entry is trusted only when the object was last modified in an earlier second
than the one in which it was downloaded (the server's Date), the way git treats "racily
clean" files.

Server-side, into the backup vault (``vault``): each object is copied by S3 itself from the
bucket into the backup's prefix in the vault (CopyObject, or UploadPartCopy past
``copy_threshold``), keeping its metadata and headers, S3 computing the copy's SHA-256; the
bytes never reach this machine, and only the index is written here. Its entries record what
S3 keeps of each copy (``checksum_sha256``: the base64 SHA-256, or for a copy in parts the
composite ``...-<parts>`` with ``part_size``; ``sha256`` when the whole object's is known).

Restoring is in backup_s3_restore.py.

Plain boto3 and the standard library; no Ansible imports.
"""
from __future__ import annotations

import datetime
import email.utils
import hashlib
import json
import os
import time

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    BotoCoreError,
    ClientError,
    backoff_delay,
    call_with_backoff,
    error_code,
    ordered_map,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import (
    CHUNK,
    BackupError,
    atomic_file,
    bucket_index,
    gzip_stream,
    object_file,
    read_gzip_lines,
    resolve,
    sha256_file,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import finish_part, start_part
from ansible_collections.strata.aws.plugins.module_utils.backup_store import VaultStore
from ansible_collections.strata.aws.plugins.module_utils.s3_transfer import (
    COPY_THRESHOLD,
    PART_SIZE,
    changed_meanwhile,
    copy_object,
    hex_sha256,
)

# Response field -> index field, for the headers restored with each object.
HEADERS = {
    "ContentType": "content_type",
    "CacheControl": "cache_control",
    "ContentEncoding": "content_encoding",
    "ContentDisposition": "content_disposition",
    "ContentLanguage": "content_language",
}


def list_objects(client, bucket, retries=DEFAULT_RETRIES):
    """Yield every ListObjectsV2 entry of ``bucket`` (current versions, in key order)."""
    kwargs = {"Bucket": bucket}
    while True:
        try:
            page = call_with_backoff(client.list_objects_v2, retries, **kwargs)
        except ClientError as exc:
            if error_code(exc) == "NoSuchBucket":
                raise BackupError(f"bucket {bucket!r} does not exist", bucket=bucket) from exc
            raise
        yield from page.get("Contents", [])
        if not page.get("IsTruncated"):
            return
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def count_objects(client, bucket, retries=DEFAULT_RETRIES):
    """Exact number of current objects in ``bucket``."""
    return sum(1 for _unused in list_objects(client, bucket, retries))


class ForwardLookup:
    """Look up entries of a key-sorted stream by key, asking keys in ascending order.

    Reads the stream forward only, so it holds one entry at a time.
    """

    def __init__(self, entries, key):
        self._entries = iter(entries)
        self._key = key
        self._current = next(self._entries, None)

    def get(self, wanted):
        while self._current is not None and self._key(self._current) < wanted:
            self._current = next(self._entries, None)
        if self._current is not None and self._key(self._current) == wanted:
            return self._current
        return None


def _index_lookup(backup_dir, bucket):
    """A ForwardLookup on ``bucket``'s index in ``backup_dir`` (empty when it has none)."""
    path = resolve(backup_dir, bucket_index(bucket))
    return ForwardLookup(read_gzip_lines(path) if os.path.exists(path) else (), key=lambda e: e["key"])


# --- backup -------------------------------------------------------------------------------


def _second(moment):
    return moment.replace(microsecond=0)


def _unchanged(listed, entry):
    """Whether an earlier index ``entry`` still describes the ``listed`` object."""
    if entry is None or (entry["size"], entry["etag"], entry["last_modified"]) != (
            listed["Size"], listed["ETag"], listed["LastModified"].isoformat()):
        return False
    return _second(listed["LastModified"]) < _second(datetime.datetime.fromisoformat(entry["fetched_at"]))


def _server_time(response):
    """The server's Date of a response (this machine's clock if it has none), UTC."""
    date = response["ResponseMetadata"].get("HTTPHeaders", {}).get("date")
    if date:
        return email.utils.parsedate_to_datetime(date).astimezone(datetime.timezone.utc)
    return datetime.datetime.now(datetime.timezone.utc)


class _CopyMismatch(Exception):
    """The file being copied does not have its recorded size and SHA-256."""


def _reuse(backup_dir, entry, dest, relpath):
    """Place a copy of the file of an earlier ``entry`` at ``relpath`` in ``dest``; True when
    the copy has the recorded size and SHA-256, False (nothing placed) when the earlier file
    is missing or damaged, so that the object is downloaded instead.

    The copy is real (bytes read and written through ``atomic_file``, hashed as they are
    written), never a hard link or a reflink: no file is shared between two backups, so
    damage to one cannot reach another. A file of this same backup (an earlier run into
    ``dest``) is only re-hashed, unless it is linked elsewhere, when it is replaced by a copy.
    """
    source = resolve(backup_dir, entry["file"])
    target = resolve(dest, relpath)
    expected = (entry["sha256"], entry["size"])
    try:
        if source == target and os.stat(target).st_nlink == 1:
            return sha256_file(target) == expected
        with open(source, "rb") as original, atomic_file(target) as out:
            for chunk in iter(lambda: original.read(CHUNK), b""):
                out.write(chunk)
            if (out.hexdigest(), out.size) != expected:
                raise _CopyMismatch(source)  # atomic_file drops the copy
    except (FileNotFoundError, _CopyMismatch):
        return False
    return True


def _download(client, bucket, listed, dest, relpath, retries):
    """Stream one object to ``relpath``; return its index entry."""
    key = listed["Key"]
    for attempt in range(retries + 1):
        md5 = hashlib.md5(usedforsecurity=False)
        try:
            with atomic_file(resolve(dest, relpath)) as out:
                response = call_with_backoff(client.get_object, retries, Bucket=bucket, Key=key)
                for chunk in response["Body"].iter_chunks(CHUNK):
                    out.write(chunk)
                    md5.update(chunk)
            break
        except ClientError as exc:
            raise BackupError(f"cannot download s3://{bucket}/{key}: {exc}", bucket=bucket, key=key) from exc
        except BotoCoreError:  # the connection broke while streaming the body
            if attempt >= retries:
                raise
            time.sleep(backoff_delay(attempt))
    if out.size != response["ContentLength"]:
        raise BackupError(f"s3://{bucket}/{key}: received {out.size} bytes of {response['ContentLength']}")
    entry = {
        "key": key,
        "file": relpath,
        "size": out.size,
        "sha256": out.hexdigest(),
        "md5": md5.hexdigest(),
        "etag": response["ETag"],
        "last_modified": listed["LastModified"].isoformat(),
        "fetched_at": _server_time(response).isoformat(),
        "metadata": response.get("Metadata", {}),
    }
    entry.update({field: response.get(header) for header, field in HEADERS.items()})
    return entry


def _copy(client, bucket, listed, store, relpath, threshold, part_size, retries):
    """Copy one object server-side into the vault at ``relpath``; return its index entry."""
    key = listed["Key"]
    for attempt in range(retries + 1):
        head = call_with_backoff(client.head_object, retries, Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        try:
            copied = copy_object(client, bucket, key, store.bucket, store.key(relpath), head["ContentLength"],
                                 etag=head["ETag"], threshold=threshold, part_size=part_size, retries=retries)
            break
        except ClientError as exc:
            if not changed_meanwhile(exc) or attempt >= retries:
                raise BackupError(f"cannot copy s3://{bucket}/{key} into {store.location(relpath)}: {exc}",
                                  bucket=bucket, key=key) from exc
    source_sum, copy_sum = head.get("ChecksumSHA256"), copied["checksum"]
    if hex_sha256(source_sum) and hex_sha256(copy_sum) and source_sum != copy_sum:
        raise BackupError(f"s3://{bucket}/{key}: its SHA-256 is {source_sum}, S3 computed {copy_sum} for the copy in "
                          f"{store.location(relpath)}", bucket=bucket, key=key)
    entry = {
        "key": key,
        "file": relpath,
        "size": head["ContentLength"],
        "sha256": hex_sha256(copy_sum),
        "md5": copied["etag"] if "-" not in copied["etag"] else None,
        "etag": head["ETag"],
        "last_modified": head["LastModified"].isoformat(),
        "fetched_at": _server_time(copied["response"]).isoformat(),
        "metadata": head.get("Metadata", {}),
        "checksum_sha256": copy_sum,
    }
    if copied["part_size"]:
        entry["part_size"] = copied["part_size"]
    entry.update({field: head.get(header) for header, field in HEADERS.items()})
    return entry


def backup_bucket(client, bucket, dest, source, previous=None, concurrency=8,
                  retries=DEFAULT_RETRIES, check_mode=False, vault=None, vault_prefix=None,
                  copy_threshold=COPY_THRESHOLD, part_size=PART_SIZE):
    """Back up every current object of ``bucket`` into ``dest/s3/<bucket>/``.

    With ``vault`` (the backup vault's bucket), the objects are copied server-side into
    ``s3://<vault>/<vault_prefix>/s3/<bucket>/objects/`` instead (``copy_object``: CopyObject,
    or UploadPartCopy past ``copy_threshold`` bytes in parts of ``part_size``), and only the
    index is written in ``dest``; ``previous`` is not used (a copy costs the same from either).

    Returns the manifest entry plus ``downloaded``, ``reused``, ``downloaded_bytes``,
    ``copied`` and ``copied_bytes``. In check mode nothing is written and the counts say
    what would be done.
    """
    if vault:
        return _copy_bucket(client, bucket, dest, source, VaultStore(client, vault, vault_prefix or "", retries),
                            concurrency, retries, check_mode, copy_threshold, part_size)
    if previous is not None and not os.path.isdir(previous):
        raise BackupError(f"previous backup {previous!r} is not a directory", previous=previous)
    earlier = [(dest, _index_lookup(dest, bucket))]
    if previous is not None:
        earlier.append((previous, _index_lookup(previous, bucket)))

    def plan(listed):
        """(listed, earlier backup dir, earlier entry) of each object; looked up in order."""
        for backup_dir, lookup in earlier:
            entry = lookup.get(listed["Key"])
            if _unchanged(listed, entry):
                return listed, backup_dir, entry
        return listed, None, None

    def fetch(planned):
        listed, backup_dir, entry = planned
        relpath = object_file(bucket, listed["Key"])
        if entry is not None and _reuse(backup_dir, entry, dest, relpath):
            return dict(entry, file=relpath), False
        return _download(client, bucket, listed, dest, relpath, retries), True

    start_part(dest, "s3", bucket, check_mode)
    planned = (plan(listed) for listed in list_objects(client, bucket, retries))
    counts = {"object_count": 0, "bytes": 0, "downloaded": 0, "reused": 0, "downloaded_bytes": 0,
              "copied": 0, "copied_bytes": 0}
    if check_mode:
        for listed, _unused, entry in planned:
            _count(counts, listed["Size"], entry is None)
        return dict(counts, name=bucket, index=bucket_index(bucket))

    with atomic_file(resolve(dest, bucket_index(bucket))) as out:
        with gzip_stream(out) as gz:
            for entry, downloaded in ordered_map(fetch, planned, concurrency):
                gz.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
                _count(counts, entry["size"], downloaded)
    manifest_entry = {
        "name": bucket,
        "object_count": counts["object_count"],
        "bytes": counts["bytes"],
        "index": bucket_index(bucket),
        "index_bytes": out.size,
        "index_sha256": out.hexdigest(),
    }
    finish_part(dest, "s3", bucket, manifest_entry, source)
    return dict(counts, **manifest_entry)


def _copy_bucket(client, bucket, dest, source, store, concurrency, retries, check_mode, threshold, part_size):
    """``backup_bucket`` into the vault: every object copied server-side, the index written in ``dest``."""
    start_part(dest, "s3", bucket, check_mode)
    counts = {"object_count": 0, "bytes": 0, "downloaded": 0, "reused": 0, "downloaded_bytes": 0,
              "copied": 0, "copied_bytes": 0}
    listing = list_objects(client, bucket, retries)
    if check_mode:
        for listed in listing:
            _count_copy(counts, listed["Size"])
        return dict(counts, name=bucket, index=bucket_index(bucket))

    def copy(listed):
        return _copy(client, bucket, listed, store, object_file(bucket, listed["Key"]), threshold, part_size, retries)

    with atomic_file(resolve(dest, bucket_index(bucket))) as out:
        with gzip_stream(out) as gz:
            for entry in ordered_map(copy, listing, concurrency):
                gz.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
                _count_copy(counts, entry["size"])
    manifest_entry = {
        "name": bucket,
        "object_count": counts["object_count"],
        "bytes": counts["bytes"],
        "index": bucket_index(bucket),
        "index_bytes": out.size,
        "index_sha256": out.hexdigest(),
        "server_side": True,
    }
    finish_part(dest, "s3", bucket, manifest_entry, source)
    return dict(counts, **manifest_entry)


def _count_copy(counts, size):
    counts["object_count"] += 1
    counts["bytes"] += size
    counts["copied"] += 1
    counts["copied_bytes"] += size


def _count(counts, size, downloaded):
    counts["object_count"] += 1
    counts["bytes"] += size
    if downloaded:
        counts["downloaded"] += 1
        counts["downloaded_bytes"] += size
    else:
        counts["reused"] += 1


# --- restore ------------------------------------------------------------------------------
