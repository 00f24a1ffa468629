# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Back up the current objects of an S3 bucket with their metadata, and restore them.

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

Restore checks each object's file against the index (size, SHA-256) just before uploading
it; a damaged or missing file fails that object only: the others are restored, then the
restore fails naming each object it could not restore.

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
    summary,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import file_problem, finish_part, load_manifest, select, start_part

# Response field -> index field, for the headers restored with each object.
HEADERS = {
    "ContentType": "content_type",
    "CacheControl": "cache_control",
    "ContentEncoding": "content_encoding",
    "ContentDisposition": "content_disposition",
    "ContentLanguage": "content_language",
}
# Larger objects are uploaded in parts (a single PutObject takes at most 5 GiB).
MULTIPART_THRESHOLD = 1024 ** 3


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


def backup_bucket(client, bucket, dest, source, previous=None, concurrency=8,
                  retries=DEFAULT_RETRIES, check_mode=False):
    """Back up every current object of ``bucket`` into ``dest/s3/<bucket>/``.

    Returns the manifest entry plus ``downloaded``, ``reused`` and ``downloaded_bytes``.
    In check mode nothing is written and the counts say what would be done.
    """
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
    counts = {"object_count": 0, "bytes": 0, "downloaded": 0, "reused": 0, "downloaded_bytes": 0}
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


def _count(counts, size, downloaded):
    counts["object_count"] += 1
    counts["bytes"] += size
    if downloaded:
        counts["downloaded"] += 1
        counts["downloaded_bytes"] += size
    else:
        counts["reused"] += 1


# --- restore ------------------------------------------------------------------------------


def _upload_args(entry):
    args = {header: entry[field] for header, field in HEADERS.items() if entry.get(field)}
    args["Metadata"] = entry["metadata"]
    return args


def _identical(client, bucket, entry, live, retries):
    """True when the live object has the entry's bytes (size and MD5 ETag) and headers."""
    if live["Size"] != entry["size"] or live["ETag"] != f'"{entry["md5"]}"':
        return False
    head = call_with_backoff(client.head_object, retries, Bucket=bucket, Key=entry["key"])
    return all(head.get(header) == value for header, value in _upload_args(entry).items()) and all(
        head.get(header) is None for header, field in HEADERS.items() if not entry.get(field)
    )


def _upload(client, bucket, entry, path, if_absent, retries):
    """Upload one object with its recorded headers; False when ``if_absent`` and it exists."""
    args = _upload_args(entry)
    if entry["size"] >= MULTIPART_THRESHOLD:
        # s3transfer splits the upload into parts; it has no conditional write, so the
        # listing checked beforehand is what keeps existing objects in ``missing`` mode.
        client.upload_file(path, bucket, entry["key"], ExtraArgs=args)
        return True
    if if_absent:
        args["IfNoneMatch"] = "*"

    def put():  # each attempt reads the file from its start
        with open(path, "rb") as body:
            return client.put_object(Bucket=bucket, Key=entry["key"], Body=body, **args)

    try:
        call_with_backoff(put, retries)
    except ClientError as exc:
        if if_absent and error_code(exc) in ("PreconditionFailed", "ConditionalRequestConflict"):
            return False
        raise BackupError(f"cannot upload s3://{bucket}/{entry['key']}: {exc}", bucket=bucket,
                          key=entry["key"]) from exc
    return True


def restore_bucket(client, src, source_bucket=None, bucket=None, mode="missing", concurrency=8,
                   retries=DEFAULT_RETRIES, check_mode=False):
    """Restore one bucket of the backup in ``src`` into ``bucket`` (default: its own name).

    ``mode`` missing: upload only keys the bucket does not hold (a conditional PutObject also
    keeps a key created meanwhile); existing objects are left as they are.
    ``mode`` overwrite: make every key of the backup equal to it; objects that already have
    the recorded bytes and headers are skipped, all others are uploaded.
    Keys the bucket holds that the backup does not are never touched.

    The bucket's index is checked against the manifest (size, SHA-256) before anything is
    uploaded: when it differs, nothing can be trusted and nothing is uploaded. Each object to
    upload is then checked against its index entry (size, SHA-256; one read of the file, then
    the upload reads it again): a damaged or missing file is skipped and listed in
    ``failed_objects``, and every other object is restored. Objects left unchanged are not
    read. Raises ``BackupError`` at the end when an object failed, naming each one, with the
    counts and ``failed_objects`` as details.

    Returns ``uploaded``, ``uploaded_bytes``, ``unchanged``, ``failed_objects`` (empty),
    ``bucket``, ``source_bucket`` and ``object_count``.
    """
    entry = select(load_manifest(src), "buckets", source_bucket, "bucket")
    name, index = entry["name"], entry["index"]
    target = bucket or name
    result = {"bucket": target, "source_bucket": name, "object_count": entry["object_count"],
              "uploaded": 0, "uploaded_bytes": 0, "unchanged": 0, "failed_objects": []}
    problem = file_problem(src, index, entry["index_bytes"], entry["index_sha256"])
    if problem is not None:
        result["failed_objects"].append({"key": None, "file": index, "reason": problem})
        raise BackupError(
            f"bucket {name}: its index failed verification, so no object of it can be trusted; "
            f"nothing was uploaded to {target}: {problem}",
            **result,
        )
    live = ForwardLookup(list_objects(client, target, retries), key=lambda o: o["Key"])

    def restore(planned):
        """(index entry, outcome: uploaded, unchanged or failed, problem)."""
        obj, current = planned
        if current is not None and (mode == "missing" or _identical(client, target, obj, current, retries)):
            return obj, "unchanged", None
        problem = file_problem(src, obj["file"], obj["size"], obj["sha256"], f"s3://{name}/{obj['key']}")
        if problem is not None:
            return obj, "failed", problem
        if check_mode:
            return obj, "uploaded", None
        uploaded = _upload(client, target, obj, resolve(src, obj["file"]), mode == "missing", retries)
        return obj, "uploaded" if uploaded else "unchanged", None

    listed = 0

    def planned():
        nonlocal listed
        for obj in read_gzip_lines(resolve(src, index)):
            listed += 1
            yield obj, live.get(obj["key"])

    for obj, outcome, problem in ordered_map(restore, planned(), concurrency):
        if outcome == "failed":
            result["failed_objects"].append({"key": obj["key"], "file": obj["file"], "reason": problem})
            continue
        result[outcome] += 1
        if outcome == "uploaded":
            result["uploaded_bytes"] += obj["size"]
    problems = [failure["reason"] for failure in result["failed_objects"]]
    if listed != entry["object_count"]:
        problems.append(f"{index}: lists {listed} objects, manifest says {entry['object_count']}")
    if problems:
        raise BackupError(
            summary(
                f"bucket {name}: {len(result['failed_objects'])} of {listed} objects failed verification and were "
                f"not restored to {target} (all the others were: {result['uploaded']} uploaded, "
                f"{result['unchanged']} unchanged)",
                problems,
            ),
            **result,
        )
    return result
