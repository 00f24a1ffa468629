# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""S3 transfers with S3's own SHA-256 checksums and no size limit: a file uploaded in one
PutObject or, past a threshold, in parts; an object copied server-side with CopyObject or,
past a threshold, with UploadPartCopy; and the checksums S3 keeps for each.

S3 keeps the SHA-256 of an object written in one request (``FULL_OBJECT``: the base64 of the
digest) and, for a multipart upload or copy created with ``ChecksumAlgorithm=SHA256``, the
SHA-256 of the concatenated SHA-256 digests of its parts followed by ``-<parts>``
(``COMPOSITE``). ``composite_sha256`` computes the latter from a file and its part size, so
that a file and the object it became compare without another download.

Memory stays flat: a part is sent from a window on the file (``FileSlice``), never read
into memory whole, and every part is hashed as it is read.

Plain boto3 and the standard library; no Ansible imports.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    ClientError,
    call_with_backoff,
    error_code,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import CHUNK, BackupError

MIB = 1024 * 1024
GIB = 1024 * MIB
MIN_PART = 5 * MIB
"""S3's smallest part (all but the last)."""
MAX_PART = 5 * GIB
"""S3's largest part, and the largest object one PutObject or CopyObject writes."""
MAX_PARTS = 10000
UPLOAD_THRESHOLD = 64 * MIB
"""Files of this size or more are uploaded in parts (``upload_file``)."""
COPY_THRESHOLD = MAX_PART
"""Objects larger than this are copied in parts (``copy_object``): one CopyObject copies up to 5 GiB."""
PART_SIZE = 64 * MIB
"""The part size asked for; raised when the object needs more than 10,000 parts."""
# The object headers a copy in parts must set itself (CopyObject copies them with the body).
COPIED_HEADERS = ("ContentType", "CacheControl", "ContentEncoding", "ContentDisposition", "ContentLanguage",
                  "Expires", "WebsiteRedirectLocation", "StorageClass")


def b64_sha256(hexdigest):
    """S3's ``ChecksumSHA256`` form (base64 of the digest) of a hex SHA-256."""
    return base64.b64encode(bytes.fromhex(hexdigest)).decode("ascii")


def hex_sha256(checksum):
    """The hex SHA-256 of a full-object ``ChecksumSHA256``; None for a composite (``...-N``) or none."""
    if not checksum or "-" in checksum:
        return None
    try:
        return base64.b64decode(checksum, validate=True).hex()
    except (binascii.Error, ValueError):
        return None


def part_size_for(size, part_size=PART_SIZE):
    """The part size used for ``size`` bytes: ``part_size`` (at least 5 MiB), raised to a
    whole MiB so that the object fits in 10,000 parts."""
    chosen = max(MIN_PART, part_size)
    needed = -(-size // MAX_PARTS)
    if needed > chosen:
        chosen = -(-needed // MIB) * MIB
    if chosen > MAX_PART:
        raise BackupError(f"an object of {size} bytes does not fit in {MAX_PARTS} parts of at most 5 GiB")
    return chosen


def part_ranges(size, part_size):
    """``(first, last)`` byte of each part (inclusive), in order; one part for an empty object."""
    if size == 0:
        return [(0, -1)]
    return [(first, min(first + part_size, size) - 1) for first in range(0, size, part_size)]


def composite_sha256(part_digests):
    """S3's composite ``ChecksumSHA256`` of an object from its parts' SHA-256 digests (bytes)."""
    joined = hashlib.sha256(b"".join(part_digests)).digest()
    return f"{base64.b64encode(joined).decode('ascii')}-{len(part_digests)}"


def stream_checksums(read, part_size=None):
    """(hex SHA-256 of everything ``read()`` returns until b"", its size, S3's composite checksum
    for ``part_size`` or None), hashed as the bytes stream."""
    whole = hashlib.sha256()
    parts, current, in_part = [], hashlib.sha256(), 0
    size = 0
    for chunk in iter(lambda: read(CHUNK), b""):
        whole.update(chunk)
        size += len(chunk)
        while part_size and chunk:
            take = chunk[: part_size - in_part]
            current.update(take)
            in_part += len(take)
            chunk = chunk[len(take):]
            if in_part == part_size:
                parts.append(current.digest())
                current, in_part = hashlib.sha256(), 0
    if part_size and (in_part or not parts):
        parts.append(current.digest())
    return whole.hexdigest(), size, composite_sha256(parts) if part_size else None


def file_checksums(path, part_size=None):
    """``stream_checksums`` of a file, in one sequential read."""
    with open(path, "rb") as handle:
        return stream_checksums(handle.read, part_size)


def _candidate_part_sizes(size, parts, part_size):
    """The part sizes that split ``size`` bytes into ``parts`` parts, most likely first: the
    one ``upload_file`` chooses for ``part_size`` (when it makes that many parts), then the
    smallest whole MiB (at least 5 MiB) that does, then the smallest byte count that does."""
    per_part = -(-size // max(1, parts))
    candidates = []
    if part_size:
        candidates.append(part_size_for(size, part_size))
    candidates += [max(MIN_PART, -(-per_part // MIB) * MIB), max(1, per_part)]
    seen = []
    for chosen in candidates:
        if chosen not in seen and len(part_ranges(size, chosen)) == parts:
            seen.append(chosen)
    return seen


def checksum_matches(path, stored, part_size=PART_SIZE):
    """Whether the file at ``path`` is what S3 keeps as ``stored`` (a ``ChecksumSHA256``: the
    base64 SHA-256, or a composite ``...-<parts>``). A composite is recomputed for the part
    size ``upload_file`` chooses for ``part_size`` and, when that makes another number of
    parts, for the part sizes that make that many (``_candidate_part_sizes``); the number of
    parts alone does not fix the part size, so pass the one the file was uploaded with."""
    if not stored:
        return False
    if "-" not in stored:
        return stored == b64_sha256(file_checksums(path)[0])
    try:
        parts = int(stored.rsplit("-", 1)[1])
    except ValueError:
        return False
    size = os.path.getsize(path)
    return any(file_checksums(path, chosen)[2] == stored for chosen in _candidate_part_sizes(size, parts, part_size))


class FileSlice(io.RawIOBase):
    """A read-only window ``[start, start + length)`` on a file, seekable within it, so that
    botocore sends one part of a file without it being read into memory."""

    def __init__(self, path, start, length):
        super().__init__()
        # Closed by close().
        self._handle = open(path, "rb")  # pylint: disable=consider-using-with
        self._start, self._length, self._pos = start, length, 0
        self._handle.seek(start)

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = min(max(0, base + offset), self._length)
        self._handle.seek(self._start + self._pos)
        return self._pos

    def read(self, size=-1):
        left = self._length - self._pos
        if size is None or size < 0 or size > left:
            size = left
        data = self._handle.read(size)
        self._pos += len(data)
        return data

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self):
        self._handle.close()
        super().close()


def _slice_sha256(path, start, length, whole):
    """The SHA-256 digest of one part of the file; ``whole`` (a running SHA-256) is fed too."""
    digest = hashlib.sha256()
    with FileSlice(path, start, length) as part:
        for chunk in iter(lambda: part.read(CHUNK), b""):
            digest.update(chunk)
            whole.update(chunk)
    return digest.digest()


def _abort(s3, bucket, key, upload_id):
    try:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except ClientError:  # the upload is left for the bucket's lifecycle rule; the error that led here is raised
        pass


def _complete(s3, bucket, key, upload_id, parts, retries, extra=None):
    answer = call_with_backoff(s3.complete_multipart_upload, retries, Bucket=bucket, Key=key, UploadId=upload_id,
                               MultipartUpload={"Parts": parts}, **(extra or {}))
    return answer


def upload_file(s3, path, bucket, key, threshold=UPLOAD_THRESHOLD, part_size=PART_SIZE, retries=DEFAULT_RETRIES,
                sha256=None, extra=None):
    """Upload the file at ``path`` to ``s3://bucket/key`` with S3's SHA-256 checksums.

    Below ``threshold`` bytes: one PutObject carrying the file's SHA-256 (``sha256``, hex,
    computed here when None), which S3 refuses when the body differs. From ``threshold`` on:
    a multipart upload created with ``ChecksumAlgorithm=SHA256``, each part sent from the
    file with its own SHA-256 (S3 refuses a part that differs, and CompleteMultipartUpload
    compares the listed checksums with the parts).

    Returns ``size``, ``sha256`` (hex, of the whole file), ``checksum`` (what S3 keeps:
    the base64 SHA-256, or the composite ``...-<parts>``) and ``part_size`` (None for one PutObject).
    """
    extra = dict(extra or {})
    size = os.path.getsize(path)
    if size < threshold:
        if sha256 is None:
            sha256 = file_checksums(path)[0]

        def put():  # each attempt reads the file from its start
            with open(path, "rb") as body:
                return s3.put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm="SHA256",
                                     ChecksumSHA256=b64_sha256(sha256), **extra)

        call_with_backoff(put, retries)
        return {"size": size, "sha256": sha256, "checksum": b64_sha256(sha256), "part_size": None}
    chosen = part_size_for(size, part_size)
    upload = call_with_backoff(s3.create_multipart_upload, retries, Bucket=bucket, Key=key,
                               ChecksumAlgorithm="SHA256", **extra)
    upload_id = upload["UploadId"]
    whole = hashlib.sha256()
    parts, digests = [], []
    try:
        for number, (first, last) in enumerate(part_ranges(size, chosen), 1):
            length = last - first + 1
            digest = _slice_sha256(path, first, length, whole)

            def put_part(number=number, first=first, length=length, digest=digest):
                with FileSlice(path, first, length) as body:
                    return s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body,
                                          ChecksumAlgorithm="SHA256",
                                          ChecksumSHA256=base64.b64encode(digest).decode("ascii"))

            answer = call_with_backoff(put_part, retries)
            parts.append({"PartNumber": number, "ETag": answer["ETag"],
                          "ChecksumSHA256": base64.b64encode(digest).decode("ascii")})
            digests.append(digest)
        done = _complete(s3, bucket, key, upload_id, parts, retries)
    except BaseException:
        _abort(s3, bucket, key, upload_id)
        raise
    if sha256 is not None and whole.hexdigest() != sha256:
        raise BackupError(f"{path} changed while it was uploaded to s3://{bucket}/{key}: its SHA-256 is "
                          f"{whole.hexdigest()}, expected {sha256}")
    expected = composite_sha256(digests)
    if done.get("ChecksumSHA256") not in (None, expected):
        raise BackupError(f"s3://{bucket}/{key}: S3 computed the checksum {done['ChecksumSHA256']}, the parts sent "
                          f"make {expected}")
    return {"size": size, "sha256": whole.hexdigest(), "checksum": expected, "part_size": chosen}


def copy_headers(head, metadata=True):
    """The object headers (and user metadata) of a HeadObject answer, as CreateMultipartUpload
    or CopyObject with ``MetadataDirective=REPLACE`` take them."""
    args = {name: head[name] for name in COPIED_HEADERS if head.get(name)}
    if metadata:
        args["Metadata"] = head.get("Metadata", {})
    return args


def copy_object(s3, source_bucket, source_key, bucket, key, size, etag=None, threshold=COPY_THRESHOLD,
                part_size=PART_SIZE, retries=DEFAULT_RETRIES, headers=None):
    """Copy ``s3://source_bucket/source_key`` to ``s3://bucket/key`` server-side, the bytes
    never leaving S3, with S3 computing the copy's SHA-256.

    Up to ``threshold`` bytes (at most 5 GiB): one CopyObject with ``ChecksumAlgorithm=SHA256``.
    Larger: a multipart upload created with the source's headers and metadata (``headers``,
    as ``copy_headers`` returns them) and ``ChecksumAlgorithm=SHA256``, filled with
    UploadPartCopy, each part's checksum as S3 answers it. ``headers`` None keeps the
    source's headers and metadata (CopyObject's ``MetadataDirective=COPY``); given, they
    replace them. ``etag`` (the source's, as listed) makes every request conditional on
    the source being that object still (``CopySourceIfMatch``): a source replaced meanwhile
    fails with ``PreconditionFailed``.

    Returns ``checksum`` (S3's ``ChecksumSHA256`` of the copy), ``etag`` (the copy's, quotes
    stripped), ``part_size`` (None for one CopyObject) and the server's ``response``.
    """
    source = {"Bucket": source_bucket, "Key": source_key}
    condition = {"CopySourceIfMatch": etag} if etag else {}
    if size <= min(threshold, MAX_PART):
        args = dict(condition, ChecksumAlgorithm="SHA256")
        if headers is not None:
            args.update(headers, MetadataDirective="REPLACE")
        answer = call_with_backoff(s3.copy_object, retries, Bucket=bucket, Key=key, CopySource=source, **args)
        result = answer["CopyObjectResult"]
        return {"checksum": result.get("ChecksumSHA256"), "etag": result["ETag"].strip('"'), "part_size": None,
                "response": answer}
    if headers is None:
        head = call_with_backoff(s3.head_object, retries, Bucket=source_bucket, Key=source_key, **(
            {"IfMatch": etag} if etag else {}))
        headers = copy_headers(head)
    chosen = part_size_for(size, part_size)
    upload = call_with_backoff(s3.create_multipart_upload, retries, Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256",
                               **headers)
    upload_id = upload["UploadId"]
    parts = []
    try:
        for number, (first, last) in enumerate(part_ranges(size, chosen), 1):
            answer = call_with_backoff(s3.upload_part_copy, retries, Bucket=bucket, Key=key, UploadId=upload_id,
                                       PartNumber=number, CopySource=source, CopySourceRange=f"bytes={first}-{last}",
                                       **condition)
            result = answer["CopyPartResult"]
            parts.append({"PartNumber": number, "ETag": result["ETag"], "ChecksumSHA256": result.get("ChecksumSHA256")})
        if any(part["ChecksumSHA256"] is None for part in parts):
            raise BackupError(f"s3://{bucket}/{key}: S3 answered no SHA-256 checksum for a part copied from "
                              f"s3://{source_bucket}/{source_key}")
        done = _complete(s3, bucket, key, upload_id, parts, retries)
    except BaseException:
        _abort(s3, bucket, key, upload_id)
        raise
    digests = [base64.b64decode(part["ChecksumSHA256"]) for part in parts]
    expected = composite_sha256(digests)
    if done.get("ChecksumSHA256") not in (None, expected):
        raise BackupError(f"s3://{bucket}/{key}: S3 computed the checksum {done['ChecksumSHA256']}, its parts make {expected}")
    return {"checksum": expected, "etag": done["ETag"].strip('"'), "part_size": chosen, "response": done}


def changed_meanwhile(exc):
    """Whether a copy failed because its source was replaced since it was listed."""
    return error_code(exc) in ("PreconditionFailed", "412")
