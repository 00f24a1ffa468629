# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AWS's own DynamoDB export directories (what ExportTableToPointInTime writes to S3,
downloaded), read and verified so that a restore can take one as its source::

    [<dir>/][AWSDynamoDB/]<export-id>/manifest-summary.json   itemCount, tableArn, exportTime, ...
                                      manifest-files.json     JSON lines: dataFileS3Key,
                                                              itemCount, md5Checksum, etag
                                      data/<name>.json.gz     {"Item": ...} lines, gzipped

An export is read where it lies, through a store (``backup_store``): a directory (the export
downloaded) or the S3 prefix DynamoDB wrote it to, never downloaded to be read.
``read_export`` reads the manifests (not the data files) of the export in a store;
``load_aws_export`` finds and reads one in a directory (``find_aws_export``), ``find_export``
in a store. ``aws_export_problems`` checks every data file, going on past each damaged one:
on disk by reading it (MD5, gzip stream, item count), in S3 from what S3 keeps (the object is
there and its ETag is the manifest's ``etag`` and agrees with its ``md5Checksum``); and the
files' counts against the summary. ``verify_aws_export`` does both and raises naming every
problem; ``export_lines`` streams the items back. A restore into an existing table reads an
export this way, and so can an ImportTable of it (``data_prefix``: the prefix of its data files).

Standard library only (and strata.aws's error type and stores).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import zlib

from ansible_collections.strata.aws.plugins.module_utils.backup_layout import (
    CHUNK,
    BackupError,
    resolve,
    summary,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_store import LocalStore

AWS_EXPORTS_DIR = "AWSDynamoDB"
AWS_SUMMARY = "manifest-summary.json"
AWS_FILES = "manifest-files.json"
AWS_FORMAT = "DYNAMODB_JSON"
AWS_FULL_EXPORT = "FULL_EXPORT"


def find_aws_export(path):
    """The export directory (the one holding ``manifest-summary.json``) that ``path`` names:
    the export directory itself (``.../AWSDynamoDB/<export-id>``), the ``AWSDynamoDB``
    directory or the directory above it (the export prefix) when they hold exactly one export.
    """
    path = os.path.abspath(path)
    if os.path.isfile(os.path.join(path, AWS_SUMMARY)):
        return path
    if not os.path.isdir(path):
        raise BackupError(f"aws_export {path} does not exist or is not a directory")
    found = []
    for parent in (os.path.join(path, AWS_EXPORTS_DIR), path):
        if os.path.isdir(parent):
            found += [os.path.join(parent, name) for name in sorted(os.listdir(parent))
                      if os.path.isfile(os.path.join(parent, name, AWS_SUMMARY))]
        if found:
            break
    if len(found) == 1:
        return found[0]
    if not found:
        raise BackupError(
            f"aws_export {path} is not an AWS DynamoDB export: no {AWS_SUMMARY} in it, in "
            f"{AWS_EXPORTS_DIR}/<export-id>/ or in <export-id>/ below it"
        )
    raise BackupError(
        f"aws_export {path} holds {len(found)} exports ({', '.join(os.path.basename(f) for f in found)}); "
        "name one: the directory holding its manifest-summary.json",
        exports=found,
    )


def _export_relpath(key, export_id):
    """The path, relative to the export directory, of the data file whose S3 key is ``key``
    (``[<prefix>/]AWSDynamoDB/<export-id>/data/<name>``)."""
    marker = f"{AWS_EXPORTS_DIR}/{export_id}/"
    if marker in key:
        rel = key.split(marker, 1)[1]
    elif "/data/" in key:
        rel = "data/" + key.rsplit("/data/", 1)[1]
    else:
        rel = key
    if not rel.startswith("data/") or rel == "data/":
        raise BackupError(f"{AWS_FILES}: dataFileS3Key {key!r} does not name a file under data/")
    return rel


def _table_from_arn(arn):
    if isinstance(arn, str) and ":table/" in arn:
        return arn.split(":table/", 1)[1].split("/", 1)[0]
    return None


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _join(base, relpath):
    return f"{base}/{relpath}" if base else relpath


def find_export(store, path=""):
    """The export directory (relative to ``store``) that ``path`` (relative too; "" for the
    store's root) names: as ``find_aws_export``, in any store (in S3, by listing keys)."""
    if store.is_local:
        relpath = os.path.relpath(find_aws_export(store.path(path) if path else store.root), store.root)
        return "" if relpath == os.curdir else relpath.replace(os.sep, "/")
    path = path.strip("/")
    if store.exists(_join(path, AWS_SUMMARY)):
        return path
    found = []
    for parent in (_join(path, AWS_EXPORTS_DIR), path):
        prefix = store.key(parent) + "/" if (parent or store.prefix) else ""
        pages = store.s3.get_paginator("list_objects_v2").paginate(Bucket=store.bucket, Prefix=prefix, Delimiter="/")
        for page in pages:
            for common in page.get("CommonPrefixes", []):
                candidate = _join(parent, common["Prefix"][len(prefix):].rstrip("/"))
                if store.exists(_join(candidate, AWS_SUMMARY)):
                    found.append(candidate)
        if found:
            break
    where = store.location(path) if path else store.uri
    if len(found) == 1:
        return found[0]
    if not found:
        raise BackupError(f"aws_export {where} is not an AWS DynamoDB export: no {AWS_SUMMARY} in it, in "
                          f"{AWS_EXPORTS_DIR}/<export-id>/ or in <export-id>/ below it")
    raise BackupError(f"aws_export {where} holds {len(found)} exports ({', '.join(f.rsplit('/', 1)[-1] for f in found)}); "
                      "name one: the directory holding its manifest-summary.json", exports=found)


def read_export(store, base=""):
    """Read the manifests of the export whose directory is ``base`` in ``store`` (a
    ``backup_store`` store), without reading its data files.

    Returns ``store``, ``base``, ``dir`` (where it is: its path, or its S3 URI),
    ``export_id``, ``export_arn``, ``export_time``, ``table_arn``, ``table`` (the name in
    tableArn), ``item_count`` (the summary's), ``summary_bytes`` and ``files_bytes`` (the raw
    manifests, for a record of their checksums) and ``files``: per data file ``file``
    (relative to the export directory), ``key`` (its dataFileS3Key), ``item_count``, ``md5``
    (md5Checksum) and ``etag``. Refuses incremental, Ion and unreadable exports.
    """
    where = store.location(base) if not store.is_local else (store.path(base) if base else store.root)
    export_id = base.rsplit("/", 1)[-1] if base else os.path.basename(store.root)
    summary_path = f"{where}/{AWS_SUMMARY}"
    try:
        summary_bytes = store.read_bytes(_join(base, AWS_SUMMARY))
    except FileNotFoundError as exc:
        raise BackupError(f"{where} has no {AWS_SUMMARY}: it is not an AWS DynamoDB export") from exc
    try:
        summary = json.loads(summary_bytes)
    except ValueError as exc:
        raise BackupError(f"{summary_path} is not valid JSON: {exc}") from exc
    if not isinstance(summary, dict) or not _count(summary.get("itemCount")):
        raise BackupError(f"{summary_path}: expected an export summary with an itemCount")
    if summary.get("outputFormat", AWS_FORMAT) != AWS_FORMAT:
        raise BackupError(f"{summary_path}: outputFormat {summary['outputFormat']!r}; only {AWS_FORMAT} exports restore")
    if summary.get("exportType", AWS_FULL_EXPORT) != AWS_FULL_EXPORT:
        raise BackupError(
            f"{summary_path}: exportType {summary['exportType']!r}; only a {AWS_FULL_EXPORT} holds whole items to restore"
        )
    files_path = f"{where}/{AWS_FILES}"
    try:
        files_bytes = store.read_bytes(_join(base, AWS_FILES))
    except FileNotFoundError as exc:
        raise BackupError(f"{where} has no {AWS_FILES}: the export is incomplete") from exc
    files = []
    for number, raw in enumerate(files_bytes.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError as exc:
            raise BackupError(f"{files_path}: line {number} is not valid JSON: {exc}") from exc
        if (not isinstance(line, dict) or not isinstance(line.get("dataFileS3Key"), str)
                or not _count(line.get("itemCount")) or not isinstance(line.get("md5Checksum"), str)):
            raise BackupError(f"{files_path}: line {number} lacks dataFileS3Key, itemCount or md5Checksum")
        relpath = _export_relpath(line["dataFileS3Key"], export_id)
        if store.is_local:
            resolve(store.path(base) if base else store.root, relpath)  # refuses a key that leaves the export
        files.append({"file": relpath, "key": line["dataFileS3Key"], "item_count": line["itemCount"],
                      "md5": line["md5Checksum"], "etag": line.get("etag")})
    return {
        "store": store,
        "base": base,
        "dir": where,
        "export_id": export_id,
        "export_arn": summary.get("exportArn"),
        "export_time": summary.get("exportTime"),
        "table_arn": summary.get("tableArn"),
        "table": _table_from_arn(summary.get("tableArn")),
        "item_count": summary["itemCount"],
        "summary_bytes": summary_bytes,
        "files_bytes": files_bytes,
        "files": files,
    }


def load_aws_export(path):
    """Read the manifests of the AWS export at ``path`` (a directory, see ``find_aws_export``),
    without reading its data files: ``read_export`` of it, ``dir`` its absolute path."""
    return read_export(LocalStore(find_aws_export(path)))


def data_prefix(export):
    """Where the export's data files are, relative to its store: ``<export dir>/data/``
    (for ImportTable's ``S3KeyPrefix``, below the store's own prefix)."""
    return _join(export["base"], "data/")


def md5_matches(recorded, digest):
    """Whether ``recorded`` (an md5Checksum) is the MD5 ``digest`` (bytes). AWS writes the
    base64 of the 16-byte digest (as S3's Content-MD5); the hex form is accepted too."""
    if recorded.lower() == digest.hex():
        return True
    try:
        return base64.b64decode(recorded, validate=True) == digest
    except (binascii.Error, ValueError):
        return False


def _md5_and_lines(path):
    """(MD5 digest of the raw bytes, lines of the gunzipped content, what is wrong with the
    gzip stream or None), in one sequential read of the whole file: the MD5 is of every byte
    even when the gzip stream breaks early. Handles multi-member gzip; an empty file (as AWS
    writes for an empty partition) holds no line."""
    md5 = hashlib.md5()  # noqa: S324 - AWS's checksum of the file, not a security control
    lines = 0
    last = b"\n"
    broken = None
    inflate, fed = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS), False
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            md5.update(chunk)
            while chunk and broken is None:
                fed = True
                try:
                    data = inflate.decompress(chunk)
                except zlib.error as exc:
                    broken = str(exc)
                    break
                if data:
                    lines += data.count(b"\n")
                    last = data[-1:]
                chunk = b""
                if inflate.eof:  # a member ended: what follows is the next member
                    chunk = inflate.unused_data
                    inflate, fed = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS), False
    if broken is None and fed:
        broken = "the gzip stream stops in the middle (truncated)"
    return md5.digest(), lines + (last != b"\n"), broken


def aws_export_file_problem(export_dir, entry):
    """What is wrong with one data file of an AWS export on disk against its
    manifest-files.json line (missing, MD5, not gzip, item count), or None. One sequential
    read; no JSON is parsed."""
    relpath = entry["file"]
    try:
        digest, lines, broken = _md5_and_lines(resolve(export_dir, relpath))
    except FileNotFoundError:
        return f"{relpath}: file is missing"
    except BackupError as exc:
        return exc.msg
    except OSError as exc:
        return f"{relpath}: unreadable ({exc})"
    if not md5_matches(entry["md5"], digest):
        return (f"{relpath}: md5 is {base64.b64encode(digest).decode('ascii')} ({digest.hex()}), "
                f"{AWS_FILES} says {entry['md5']}")
    if broken:
        return f"{relpath}: not a whole gzip file ({broken})"
    if lines != entry["item_count"]:
        return f"{relpath}: holds {lines} items, {AWS_FILES} says {entry['item_count']}"
    return None


def _md5_digest(recorded):
    try:
        digest = base64.b64decode(recorded, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) == 16:
        return digest
    try:
        return bytes.fromhex(recorded)
    except ValueError:
        return None


def etag_matches(etag, md5_checksum):
    """Whether an S3 ETag (quotes stripped) is that of an object whose MD5 is ``md5_checksum``:
    the MD5 itself (one PutObject), or ``<MD5 of the MD5>-1`` (one part of a multipart upload,
    as DynamoDB writes its data files). None when the ETag says nothing of the MD5 (several parts)."""
    digest = _md5_digest(md5_checksum)
    if digest is None:
        return False
    if "-" not in etag:
        return etag == digest.hex()
    if etag.endswith("-1"):
        return etag == f"{hashlib.md5(digest).hexdigest()}-1"  # noqa: S324 - S3's ETag of one part
    return None


def _stored_file_problem(export, entry):
    """What is wrong with one data file of an export in S3, from HeadObject: missing, an ETag
    other than the manifest's, or one that contradicts its md5Checksum."""
    store, relpath = export["store"], _join(export["base"], entry["file"])
    head = store.head(relpath)
    if head is None:
        return f"{entry['file']}: file is missing ({store.location(relpath)})"
    etag = (head.get("ETag") or "").strip('"')
    if entry.get("etag") and etag != entry["etag"].strip('"'):
        return f"{entry['file']}: ETag is {etag} in S3, {AWS_FILES} says {entry['etag']}"
    if etag_matches(etag, entry["md5"]) is False:
        return f"{entry['file']}: ETag {etag} is not that of the md5 {entry['md5']} {AWS_FILES} records"
    return None


def export_file_problem(export, entry):
    """What is wrong with one data file of ``export`` (``read_export``), or None: on disk,
    ``aws_export_file_problem``; in S3, from what S3 keeps (``_stored_file_problem``)."""
    store = export["store"]
    if store.is_local:
        return aws_export_file_problem(store.path(export["base"]) if export["base"] else store.root, entry)
    return _stored_file_problem(export, entry)


def aws_export_problems(export):
    """Every problem of the export ``load_aws_export`` returned: each data file checked
    (``export_file_problem``), going on past each damaged one, and the files' item counts
    summed against the summary's itemCount. An empty list when the export is whole."""
    problems = [p for p in (export_file_problem(export, f) for f in export["files"]) if p]
    listed = sum(f["item_count"] for f in export["files"])
    if listed != export["item_count"]:
        problems.append(f"{AWS_FILES} lists {listed} items in {len(export['files'])} files, "
                        f"{AWS_SUMMARY} says {export['item_count']}")
    return problems


def verify_aws_export(path):
    """``load_aws_export`` and ``aws_export_problems``: raises ``BackupError`` naming every
    problem (details ``problems``); returns the export when it is whole."""
    export = load_aws_export(path)
    problems = aws_export_problems(export)
    if problems:
        raise BackupError(summary(f"AWS export {export['dir']} failed verification", problems), problems=problems)
    return export


def export_lines(export, entry):
    """The parsed lines (``{"Item": ...}``) of one data file of ``export``, streamed."""
    return export["store"].gzip_lines(_join(export["base"], entry["file"]))
