# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AWS's own DynamoDB export directories (what ExportTableToPointInTime writes to S3,
downloaded), read and verified so that a restore can take one as its source::

    [<dir>/][AWSDynamoDB/]<export-id>/manifest-summary.json   itemCount, tableArn, exportTime, ...
                                      manifest-files.json     JSON lines: dataFileS3Key,
                                                              itemCount, md5Checksum, etag
                                      data/<name>.json.gz     {"Item": ...} lines, gzipped

``load_aws_export`` reads the manifests (not the data files); ``aws_export_problems`` checks
every data file (MD5, gzip stream, item count) and the counts against the summary, going on
past each damaged file; ``verify_aws_export`` does both and raises naming every problem.

Standard library only (and strata.aws's error type).
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
    read_json,
    resolve,
    summary,
)

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


def load_aws_export(path):
    """Read the manifests of the AWS export at ``path`` (see ``find_aws_export``), without
    reading its data files.

    Returns ``dir`` (the export directory), ``export_id``, ``export_arn``, ``export_time``,
    ``table_arn``, ``table`` (the name in tableArn), ``item_count`` (the summary's) and
    ``files``: per data file ``file`` (relative to ``dir``), ``key`` (its dataFileS3Key),
    ``item_count`` and ``md5`` (md5Checksum). Refuses incremental, Ion and unreadable exports.
    """
    export_dir = find_aws_export(path)
    export_id = os.path.basename(export_dir)
    summary_path = os.path.join(export_dir, AWS_SUMMARY)
    try:
        summary = read_json(summary_path)
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
    files_path = os.path.join(export_dir, AWS_FILES)
    files = []
    try:
        with open(files_path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                try:
                    line = json.loads(raw)
                except ValueError as exc:
                    raise BackupError(f"{files_path}: line {number} is not valid JSON: {exc}") from exc
                if (not isinstance(line, dict) or not isinstance(line.get("dataFileS3Key"), str)
                        or not _count(line.get("itemCount")) or not isinstance(line.get("md5Checksum"), str)):
                    raise BackupError(f"{files_path}: line {number} lacks dataFileS3Key, itemCount or md5Checksum")
                files.append({"file": _export_relpath(line["dataFileS3Key"], export_id), "key": line["dataFileS3Key"],
                              "item_count": line["itemCount"], "md5": line["md5Checksum"]})
    except FileNotFoundError as exc:
        raise BackupError(f"{export_dir} has no {AWS_FILES}: the export is incomplete") from exc
    return {
        "dir": export_dir,
        "export_id": export_id,
        "export_arn": summary.get("exportArn"),
        "export_time": summary.get("exportTime"),
        "table_arn": summary.get("tableArn"),
        "table": _table_from_arn(summary.get("tableArn")),
        "item_count": summary["itemCount"],
        "files": files,
    }


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
    """What is wrong with one data file of an AWS export against its manifest-files.json line
    (missing, MD5, not gzip, item count), or None. One sequential read; no JSON is parsed."""
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


def aws_export_problems(export):
    """Every problem of the export ``load_aws_export`` returned: each data file checked
    (``aws_export_file_problem``), going on past each damaged one, and the files' item counts
    summed against the summary's itemCount. An empty list when the export is whole."""
    problems = [p for p in (aws_export_file_problem(export["dir"], f) for f in export["files"]) if p]
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
