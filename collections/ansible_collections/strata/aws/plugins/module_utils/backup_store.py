# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the files of a backup are read from: a directory (``LocalStore``) or a prefix of the
backup vault in S3 (``VaultStore``, named by an ``s3://<bucket>/<prefix>`` URI), behind one
set of reads, so that verification and restore take a backup from either place and a backup
in the vault is never downloaded to be used.

A file of a backup is named by its path relative to the backup (``dynamodb/<table>.jsonl.gz``,
``s3/<bucket>/objects/..``); in the vault it is the object ``<prefix>/<path>``.

Checks (``file_problem``, ``object_problem``) answer what is wrong with one file, or None:
on disk by reading and hashing it; in the vault from what S3 keeps (HeadObject with checksum
mode: size and ``ChecksumSHA256``, which S3 verified when the object was written), reading
the object only when S3 keeps a composite checksum that the recorded SHA-256 cannot be
compared with.

Plain boto3 and the standard library; no Ansible imports.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    S3_ABSENT,
    ClientError,
    call_with_backoff,
    error_code,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import (
    CHUNK,
    BackupError,
    read_gzip_lines,
    resolve,
    sha256_file,
)
from ansible_collections.strata.aws.plugins.module_utils.s3_transfer import b64_sha256, file_checksums

S3_SCHEME = "s3://"


def is_s3_uri(value):
    return isinstance(value, str) and value.startswith(S3_SCHEME)


def split_s3_uri(uri):
    """``(bucket, prefix)`` of ``s3://bucket/prefix`` (prefix without slashes at either end)."""
    if not is_s3_uri(uri):
        raise BackupError(f"{uri!r} is not an S3 URI (s3://<bucket>/<prefix>)")
    bucket, _sep, prefix = uri[len(S3_SCHEME):].partition("/")
    if not bucket:
        raise BackupError(f"{uri!r} names no bucket: expected s3://<bucket>/<prefix>")
    prefix = prefix.strip("/")
    if ".." in prefix.split("/"):
        raise BackupError(f"{uri!r}: a prefix with '..' does not name a backup")
    return bucket, prefix


def _where(relpath, label):
    return f"{relpath} ({label})" if label else relpath


class LocalStore:
    """The files of a backup in a directory."""

    is_local = True

    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.uri = self.root

    def __repr__(self):
        return f"LocalStore({self.root!r})"

    def path(self, relpath):
        return resolve(self.root, relpath)

    def exists(self, relpath):
        return os.path.isfile(self.path(relpath))

    def open(self, relpath):
        # The caller closes it.
        return open(self.path(relpath), "rb")  # pylint: disable=consider-using-with

    def read_bytes(self, relpath):
        with self.open(relpath) as handle:
            return handle.read()

    def gzip_lines(self, relpath):
        """Each line of a gzip JSON-lines file of the backup, parsed."""
        return read_gzip_lines(self.path(relpath))

    def file_problem(self, relpath, size, sha256, label=None):
        """What is wrong with one file compared with its recorded size and SHA-256, or None:
        one sequential read of the raw bytes; nothing is parsed."""
        where = _where(relpath, label)
        try:
            actual_sha, actual_size = sha256_file(self.path(relpath))
        except FileNotFoundError:
            return f"{where}: file is missing"
        except BackupError as exc:
            return exc.msg
        except OSError as exc:
            return f"{where}: unreadable ({exc})"
        if actual_size != size:
            return f"{where}: size is {actual_size} bytes, manifest says {size}"
        if actual_sha != sha256:
            return f"{where}: sha256 is {actual_sha}, manifest says {sha256}"
        return None

    def object_problem(self, obj, label=None):
        """``file_problem`` for an object of a bucket index: by its SHA-256 or, for an object
        copied server-side in parts (no SHA-256 of the whole is known), by S3's composite
        checksum recomputed from the file with the recorded part size."""
        if obj.get("sha256"):
            return self.file_problem(obj["file"], obj["size"], obj["sha256"], label)
        where = _where(obj["file"], label)
        try:
            _digest, actual_size, composite = file_checksums(self.path(obj["file"]), obj["part_size"])
        except FileNotFoundError:
            return f"{where}: file is missing"
        except (KeyError, TypeError):
            return f"{where}: the index records neither a sha256 nor a part_size"
        except OSError as exc:
            return f"{where}: unreadable ({exc})"
        if actual_size != obj["size"]:
            return f"{where}: size is {actual_size} bytes, index says {obj['size']}"
        if composite != obj.get("checksum_sha256"):
            return f"{where}: S3 checksum is {composite}, index says {obj.get('checksum_sha256')}"
        return None


class _Body(io.RawIOBase):
    """A GetObject body as a readable binary file (for gzip)."""

    def __init__(self, body):
        super().__init__()
        self._body = body

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self):
        self._body.close()
        super().close()


class VaultStore:
    """The files of a backup under ``s3://<bucket>/<prefix>/``."""

    is_local = False

    def __init__(self, s3, bucket, prefix, retries=DEFAULT_RETRIES):
        self.s3, self.bucket, self.prefix, self.retries = s3, bucket, prefix.strip("/"), retries
        self.uri = f"{S3_SCHEME}{bucket}/{self.prefix}"

    def __repr__(self):
        return f"VaultStore({self.uri!r})"

    @classmethod
    def from_uri(cls, s3, uri, retries=DEFAULT_RETRIES):
        bucket, prefix = split_s3_uri(uri)
        return cls(s3, bucket, prefix, retries)

    def key(self, relpath):
        if relpath.startswith("/") or ".." in relpath.split("/"):
            raise BackupError(f"path {relpath!r} in the backup points outside {self.uri}")
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    def location(self, relpath):
        return f"{S3_SCHEME}{self.bucket}/{self.key(relpath)}"

    def head(self, relpath):
        """HeadObject (with checksum mode) of a file, or None when it is not there."""
        try:
            return call_with_backoff(self.s3.head_object, self.retries, Bucket=self.bucket, Key=self.key(relpath),
                                     ChecksumMode="ENABLED")
        except ClientError as exc:
            if error_code(exc) in S3_ABSENT:
                return None
            raise

    def exists(self, relpath):
        return self.head(relpath) is not None

    def open(self, relpath):
        try:
            body = call_with_backoff(self.s3.get_object, self.retries, Bucket=self.bucket, Key=self.key(relpath))["Body"]
        except ClientError as exc:
            if error_code(exc) in S3_ABSENT:
                raise FileNotFoundError(f"{self.location(relpath)} is missing") from exc
            raise
        return io.BufferedReader(_Body(body), CHUNK)

    def read_bytes(self, relpath):
        with self.open(relpath) as handle:
            return handle.read()

    def gzip_lines(self, relpath):
        with self.open(relpath) as raw, gzip.GzipFile(fileobj=raw, mode="rb") as handle:
            for line in handle:
                yield json.loads(line)

    def _read_sha256(self, relpath):
        digest, size = hashlib.sha256(), 0
        with self.open(relpath) as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size

    def file_problem(self, relpath, size, sha256, label=None):
        """What differs between a file in the vault and its recorded size and SHA-256, or None:
        from HeadObject (S3 keeps the SHA-256 it verified on upload); a file uploaded in parts
        (S3 keeps a composite checksum) is read and hashed instead."""
        where = _where(self.location(relpath), label)
        head = self.head(relpath)
        if head is None:
            return f"{where}: missing from the vault"
        if head.get("ContentLength") != size:
            return f"{where}: {head.get('ContentLength')} bytes in the vault, manifest says {size}"
        stored = head.get("ChecksumSHA256")
        if stored and "-" not in stored:
            if stored != b64_sha256(sha256):
                return f"{where}: SHA-256 {stored} in the vault, manifest says {b64_sha256(sha256)}"
            return None
        actual, actual_size = self._read_sha256(relpath)
        if (actual, actual_size) != (sha256, size):
            return f"{where}: sha256 is {actual} ({actual_size} bytes), manifest says {sha256} ({size} bytes)"
        return None

    def object_problem(self, obj, label=None):
        """What differs between an object file in the vault and its index entry (size and the
        checksum S3 keeps: ``checksum_sha256``, or the base64 of ``sha256``), or None."""
        relpath = obj["file"]
        where = _where(self.location(relpath), label)
        head = self.head(relpath)
        if head is None:
            return f"{where}: missing from the vault"
        if head.get("ContentLength") != obj["size"]:
            return f"{where}: {head.get('ContentLength')} bytes in the vault, index says {obj['size']}"
        recorded = obj.get("checksum_sha256")
        stored = head.get("ChecksumSHA256")
        if recorded:  # copied server-side: S3's checksum of the copy was recorded
            if stored != recorded:
                return f"{where}: SHA-256 {stored or 'not recorded'} in the vault, index says {recorded}"
            return None
        if stored and "-" not in stored:
            if stored != b64_sha256(obj["sha256"]):
                return f"{where}: SHA-256 {stored} in the vault, index says {b64_sha256(obj['sha256'])}"
            return None
        # Uploaded in parts (a composite checksum), or kept without one: compare the bytes.
        actual, _size = self._read_sha256(relpath)
        return None if actual == obj["sha256"] else f"{where}: sha256 is {actual}, index says {obj['sha256']}"


def as_store(src, s3=None, retries=DEFAULT_RETRIES):
    """The store of a backup: ``src`` itself when it is one, a ``VaultStore`` for an
    ``s3://`` URI (with the S3 client ``s3``), else a ``LocalStore`` for a directory."""
    if isinstance(src, (LocalStore, VaultStore)):
        return src
    if is_s3_uri(src):
        if s3 is None:
            raise BackupError(f"{src} is in S3: an S3 client is needed to read it")
        return VaultStore.from_uri(s3, src, retries)
    return LocalStore(src)
