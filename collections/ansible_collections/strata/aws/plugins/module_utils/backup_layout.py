# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The on-disk layout of a strata backup and how its files are written and read: paths,
atomic writes, gzip JSON lines, the table line formats, checksums (of a file, and of one item:
``item_digest``), and the error type of everything backups do.

A backup is a directory::

    dynamodb/<table>.jsonl.gz     one item per line, gzipped, in the table format its manifest
                                  entry names (``table_format``):
                                  ``dynamodb_json_item`` (format_version 2, written now):
                                    {"Item": {"pk": {"S": "a"}, "b": {"B": "<base64>"}, ...}}
                                    exactly the line ExportTableToPointInTime writes with
                                    ExportFormat DYNAMODB_JSON, so ImportTable (InputFormat
                                    DYNAMODB_JSON, InputCompressionType GZIP) reads the file;
                                  ``strata_typed_json`` (format_version 1 backups):
                                    {"pk": {"S": "a"}, "b": {"B": "<base64>"}, ...}
                                  Both are DynamoDB JSON: S, N (text), B (base64), SS, NS,
                                  BS (base64), M, L, BOOL, NULL.
    s3/<bucket>/index.jsonl.gz    one object per line: key, file, size, sha256, md5, etag,
                                  last_modified, fetched_at, content_type, metadata and the
                                  other headers restored with it
    s3/<bucket>/objects/xx/<h>    the object's bytes; <h> is the SHA-256 of its key, because
                                  S3 keys are not file paths (a key can be both an object and
                                  the prefix of others, contain "..", or exceed name limits)
    dynamodb/<table>/AWSDynamoDB/<export-id>/...
                                  a table exported by DynamoDB itself (ExportTableToPointInTime,
                                  straight into the backup vault): its manifest-summary.json,
                                  manifest-files.json and data/*.json.gz files, as AWS writes
                                  them (``method: export`` in the manifest, format_version 3)
    parts/<kind>.<name>.json      completion record of one exported resource
    manifest.json                 written last and atomically from the part records

A backup made server-side (``backup_method: export``) is written in the backup vault, in this
same layout: the table by DynamoDB's export, the objects by S3's CopyObject; only the index,
the part records and the manifest pass through the machine that runs the backup.

A backup without ``manifest.json`` is incomplete. Every file is written under a temporary
name and renamed into place once whole, so an interrupted writer leaves no finished file.

The part records, the manifest and verification are in ``backup_manifest``; the backup root
(``<root>/<env>/<name>``) and choosing a backup in it in ``backup_catalog``; AWS's own export
directories in ``aws_export``.

Standard library only (and strata.aws's error type).
"""
from __future__ import annotations

import contextlib
import datetime
import gzip
import hashlib
import json
import os
import tempfile

from ansible_collections.strata.aws.plugins.module_utils.errors import StrataAWSError

CREATED_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
"""``created_at`` of a manifest."""
FORMAT = "strata-backup"
FORMAT_VERSION = 2
"""Version written for a streamed backup. 2: table files hold ``{"Item": ...}`` lines
(``table_format`` per table)."""
SERVER_SIDE_FORMAT_VERSION = 3
"""Version written for a backup that holds a table exported by DynamoDB (``method: export``)
or objects copied server-side (``server_side``, whose index may record S3's composite checksum in
place of a SHA-256): readers of version 2 would misread them."""
READABLE_VERSIONS = (1, 2, 3)
"""Versions read: every strata backup ever written keeps restoring."""
TABLE_METHODS = ("stream", "export")
"""How a table came into the backup: ``stream`` (scanned into a table file; the default of
entries without ``method``) or ``export`` (DynamoDB's ExportTableToPointInTime)."""
TABLE_FORMAT = "dynamodb_json_item"
"""Table file lines as AWS's DynamoDB JSON export writes them: ``{"Item": {<typed item>}}``."""
LEGACY_TABLE_FORMAT = "strata_typed_json"
"""Table file lines of format_version 1 backups: the typed item itself, ``{<typed item>}``."""
TABLE_FORMATS = (TABLE_FORMAT, LEGACY_TABLE_FORMAT)
MANIFEST = "manifest.json"
PARTS_DIR = "parts"
CHUNK = 1024 * 1024
_MAX_REPORTED_PROBLEMS = 20


class BackupError(StrataAWSError):
    """A backup, manifest or restore precondition is not met; ``details`` go to the caller."""


def summary(head, problems):
    """``head: problem; problem; ...`` with at most 20 problems named, then how many more."""
    shown = problems[:_MAX_REPORTED_PROBLEMS]
    more = len(problems) - len(shown)
    return f"{head}: " + "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


# --- layout -------------------------------------------------------------------------------


def table_file(table):
    return f"dynamodb/{table}.jsonl.gz"


def table_export_prefix(table):
    """Where DynamoDB's export of ``table`` goes in a backup (it adds ``AWSDynamoDB/<export-id>/``)."""
    return f"dynamodb/{table}"


def table_method(entry):
    """How a manifest table entry came into the backup (``TABLE_METHODS``)."""
    return entry.get("method", "stream")


def bucket_index(bucket):
    return f"s3/{bucket}/index.jsonl.gz"


def object_file(bucket, key):
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"s3/{bucket}/objects/{digest[:2]}/{digest}"


def resolve(backup_dir, relpath):
    """Absolute path of ``relpath`` inside ``backup_dir``; refuses paths that leave it."""
    root = os.path.realpath(backup_dir)
    path = os.path.realpath(os.path.join(root, relpath))
    if os.path.commonpath([root, path]) != root:
        raise BackupError(f"path {relpath!r} in the backup points outside {backup_dir}")
    return path


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime(CREATED_AT_FORMAT)


# --- files --------------------------------------------------------------------------------


class HashingWriter:
    """A write-only file object that hashes (SHA-256) and counts what passes through it."""

    def __init__(self, raw):
        self._raw = raw
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self._sha.update(data)
        self.size += len(data)
        return self._raw.write(data)

    def flush(self):
        self._raw.flush()

    def hexdigest(self):
        return self._sha.hexdigest()


@contextlib.contextmanager
def atomic_file(path):
    """Yield a ``HashingWriter`` on a temporary sibling of ``path``, renamed to ``path`` only
    when the block completes; on any error the temporary file is removed.

    Files are created private (mode 0600): backups hold the data of the stack.
    """
    directory, name = os.path.split(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as raw:
            out = HashingWriter(raw)
            yield out
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def gzip_stream(out):
    """A gzip writer on ``out`` with reproducible headers (no name, no timestamp)."""
    return gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=6, mtime=0)


def write_json(path, data):
    with atomic_file(path) as out:
        out.write(json.dumps(data, indent=2, sort_keys=True).encode("utf-8") + b"\n")


def read_json(path):
    with open(path, "rb") as handle:
        return json.load(handle)


def read_gzip_lines(path):
    """Yield each line of a gzip JSON-lines file, decoded."""
    with gzip.open(path, "rb") as handle:
        for line in handle:
            yield json.loads(line)


def table_line(typed_item):
    """One line of a table file (``TABLE_FORMAT``): ``{"Item": typed_item}`` as UTF-8 JSON,
    newline-terminated. ``typed_item`` is JSON-ready DynamoDB JSON (bytes already base64)."""
    return json.dumps({"Item": typed_item}, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def line_item(line, table_format):
    """The typed item of one parsed line of a table file in ``table_format``; ValueError when
    the line does not have that format's shape."""
    if table_format == TABLE_FORMAT:
        if not isinstance(line, dict) or set(line) != {"Item"} or not isinstance(line["Item"], dict):
            raise ValueError('expected a line {"Item": {...}}')
        return line["Item"]
    if table_format == LEGACY_TABLE_FORMAT:
        if not isinstance(line, dict):
            raise ValueError("expected a line holding a typed item (a JSON object)")
        return line
    raise ValueError(f"unknown table format {table_format!r}")


def table_format(entry):
    """The table format of a manifest (or part record) table entry; entries of format_version 1
    have none and hold ``LEGACY_TABLE_FORMAT``."""
    return entry.get("table_format", LEGACY_TABLE_FORMAT)


def _canonical_value(value):
    """A typed value with its sets in a fixed order (DynamoDB keeps no order in SS, NS, BS)."""
    (kind, data), = value.items()
    if kind in ("SS", "NS", "BS"):
        return {kind: sorted(data)}
    if kind == "M":
        return {"M": {name: _canonical_value(v) for name, v in data.items()}}
    if kind == "L":
        return {"L": [_canonical_value(v) for v in data]}
    return value


def item_digest(typed_item):
    """The SHA-256 (hex) of one item, as a table file holds it (JSON-ready DynamoDB JSON, bytes
    in base64): of its canonical JSON (attribute names sorted, sets ordered, no whitespace), so
    an item read back from a table has the digest of the line it was restored from."""
    canonical = {name: _canonical_value(value) for name, value in typed_item.items()}
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ItemsDigest:
    """The digest of a set of items, whatever their order: the sum, modulo 2**256, of their
    ``item_digest`` values, as 64 hex digits. A backup records it per table (``items_sha256``) as
    it writes the table file, so a table file changed afterwards, even with its file checksum
    rewritten, no longer matches; a restored table is checked against it item by item."""

    MODULUS = 2 ** 256

    def __init__(self):
        self._total = 0
        self.count = 0

    def add(self, digest):
        self._total = (self._total + int(digest, 16)) % self.MODULUS
        self.count += 1

    def hexdigest(self):
        return f"{self._total:064x}"


def sha256_file(path):
    """(hex SHA-256, size in bytes) of the file at ``path``, read in chunks."""
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size
