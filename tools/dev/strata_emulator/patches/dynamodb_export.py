"""DynamoDB ExportTableToPointInTime: the objects and the answers of AWS's export to S3.

moto 5.2.5 (``moto.dynamodb.models.table_export.TableExport``) exports a table into one
object, ``<prefix>/AWSDynamoDB/<uuid>/data/<uuid>.gz``, and nothing else:
- no ``manifest-summary.json``, ``manifest-files.json`` (nor their ``.checksum`` files, nor
  ``_started``): nothing says which data files make the export, how many items each holds
  or what their MD5 is, so nothing can be verified or read as AWS's output is;
- one data file whatever the table, named ``.gz``, where AWS writes at least one
  ``data/<name>.json.gz`` per partition, an empty (0-byte) object for an empty partition;
- the directory's ``<uuid>`` is unrelated to the export's ARN, and the ARN itself is
  ``...:table/<the whole table ARN>/import/<id>``; AWS's is
  ``arn:aws:dynamodb:<region>:<account>:table/<table>/export/<export-id>`` and the
  directory is ``AWSDynamoDB/<export-id>/``, ``<export-id>`` being
  ``<13-digit milliseconds>-<8 hex>``;
- the items are read from the live table by a thread after the call returns, so writes
  that follow the call may be in the export; AWS exports the table as of ``ExportTime``
  (the request's time by default);
- DescribeExport has no ``ExportManifest`` (the key of manifest-summary.json),
  ``ExportTime``, ``StartTime``, ``EndTime`` or ``TableId``, the default ``ExportFormat``
  reads ``DYNAMO_JSON`` (AWS: ``DYNAMODB_JSON``), an unknown ARN answers HTTP 500 (AWS:
  ``ExportNotFoundException``), and a request without ``S3Prefix`` (optional in AWS: the
  objects then start with ``AWSDynamoDB/``) answers HTTP 500;
- the data objects carry a plain MD5 ETag and ignore the bucket's default Object Lock
  retention. AWS writes each data file as a one-part multipart upload, so its ETag (and the
  ``etag`` of manifest-files.json) is ``<MD5 of the part's MD5>-1``, and the bucket's
  default retention applies to every object as it does to a PutObject.

Here the export follows the layout of the DynamoDB developer guide ("DynamoDB table export
output format"): the items are read when the call is made, spread over
``max(2, ceil(items / ITEMS_PER_PARTITION))`` partitions by the MD5 of their hash key
(so small tables have empty partitions, as in AWS), one gzipped file of ``{"Item": ...}``
lines per partition; then ``manifest-files.json`` (one line per file: ``itemCount``,
``md5Checksum`` (base64 MD5 of the object), ``etag``, ``dataFileS3Key``),
``manifest-summary.json`` (``version``, ``exportArn``, ``startTime``, ``endTime``,
``tableArn``, ``tableId``, ``exportTime``, ``s3Bucket``, ``s3Prefix``, ``s3SseAlgorithm``,
``s3SseKmsKeyId``, ``manifestFilesS3Key``, ``billedSizeBytes``, ``itemCount``,
``outputFormat``, ``exportType``) and their ``.checksum`` files (hex MD5), ``_started``
first. ``ExportTime`` in the request is not emulated (the export holds the table when the
call is made); incremental exports and ION stay unsupported, as in moto.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import hashlib
import json
import math
import secrets
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.dynamodb import models, responses
from moto.dynamodb.models.table_export import TableExport
from moto.dynamodb.models.utilities import dynamo_json_dump
from moto.utilities.utils import get_partition

ITEMS_PER_PARTITION = 5000
"""Items per partition of the emulated export (at least two partitions)."""
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"  # pragma: allowlist secret - the base32 alphabet of export ids


class ExportNotFoundException(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("com.amazonaws.dynamodb.v20120810#ExportNotFoundException", f"Export not found: {arn}")


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _export_id(moment: datetime.datetime) -> str:
    return f"{int(moment.timestamp() * 1000):013d}-{secrets.token_hex(4)}"


def _file_name() -> str:
    return "".join(secrets.choice(_BASE32) for _ in range(26)) + ".json.gz"


def _partition(line_key: bytes, partitions: int) -> int:
    return int.from_bytes(hashlib.md5(line_key).digest()[:4], "big") % partitions  # noqa: S324 - a spread, not security


def _table_id(table: Any) -> str:
    """A stable id of the table in the form AWS gives (a UUID), from its ARN and creation time."""
    seed = f"{table.table_arn}/{getattr(table, 'created_at', '')}".encode()
    digest = hashlib.sha256(seed).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


class StrataTableExport(TableExport):
    """An export laid out in S3 as AWS lays it out (see the module's docstring)."""

    def __init__(self, s3_bucket: str, s3_prefix: str, region_name: str, account_id: str, table: Any,
                 export_format: str, export_type: str) -> None:
        super().__init__(s3_bucket=s3_bucket, s3_prefix=s3_prefix, region_name=region_name,
                         account_id=account_id, table=table, export_format=export_format, export_type=export_type)
        self.start_time = datetime.datetime.now(datetime.timezone.utc)
        self.export_time = self.start_time
        self.end_time: datetime.datetime | None = None
        self.export_id = _export_id(self.start_time)
        table_name = table.table_arn.split(":table/", 1)[1]
        self.arn = f"arn:{self.partition}:dynamodb:{region_name}:{account_id}:table/{table_name}/export/{self.export_id}"
        self.table_id = _table_id(table)
        root = f"{s3_prefix.strip('/')}/" if s3_prefix and s3_prefix.strip("/") else ""
        self.export_dir = f"{root}AWSDynamoDB/{self.export_id}"
        self.manifest_key = f"{self.export_dir}/manifest-summary.json"
        # The table as of the request: its items are read now, not after the call returns.
        hash_key = table.hash_key_attr
        self._lines = [
            (dynamo_json_dump(item.attrs[hash_key].to_json()).encode("utf-8"),
             dynamo_json_dump(item.to_json(root_attr_name="Item")).encode("utf-8") + b"\n")
            for item in table.all_items()
        ]
        self.item_count = 0
        self.processed_bytes = 0
        self.started_answer: dict[str, Any] | None = None

    def _put(self, s3_backend: Any, key: str, body: bytes, etag: str | None = None) -> Any:
        bucket = s3_backend.get_bucket(self.s3_bucket)
        lock = {}
        if bucket.object_lock_enabled and bucket.has_default_lock:
            lock = {"lock_mode": bucket.default_lock_mode, "lock_until": bucket.default_retention()}
        return s3_backend.put_object(self.s3_bucket, key, body, etag=etag, disable_notification=True, **lock)

    def _backup_to_s3_file(self, s3_backend: Any) -> None:
        self._put(s3_backend, f"{self.export_dir}/_started", b"")
        partitions = max(2, math.ceil(len(self._lines) / ITEMS_PER_PARTITION))
        spread: list[list[bytes]] = [[] for _ in range(partitions)]
        for key, line in self._lines:
            spread[_partition(key, partitions)].append(line)
        self._lines = []
        files = []
        for lines in spread:
            body = gzip.compress(b"".join(lines), mtime=0) if lines else b""
            md5 = hashlib.md5(body).digest()  # noqa: S324 - S3's and AWS's checksum of the object
            # Written as a one-part multipart upload: the ETag is the MD5 of the part's MD5, "-1".
            etag = f"{hashlib.md5(md5).hexdigest()}-1"  # noqa: S324
            key = f"{self.export_dir}/data/{_file_name()}"
            self._put(s3_backend, key, body, etag=etag)
            files.append({"itemCount": len(lines), "md5Checksum": base64.b64encode(md5).decode("ascii"),
                          "etag": etag, "dataFileS3Key": key})
            self.item_count += len(lines)
            self.processed_bytes += sum(len(line) for line in lines)
        files_json = "".join(json.dumps(entry) + "\n" for entry in files).encode("utf-8")
        files_key = f"{self.export_dir}/manifest-files.json"
        self._put(s3_backend, files_key, files_json)
        self._put(s3_backend, f"{self.export_dir}/manifest-files.checksum",
                  hashlib.md5(files_json).hexdigest().encode("ascii"))  # noqa: S324
        self.end_time = datetime.datetime.now(datetime.timezone.utc)
        summary = {
            "version": "2020-06-30",
            "exportArn": self.arn,
            "startTime": _iso(self.start_time),
            "endTime": _iso(self.end_time),
            "tableArn": self.table.table_arn,
            "tableId": self.table_id,
            "exportTime": _iso(self.export_time),
            "s3Bucket": self.s3_bucket,
            "s3Prefix": self.s3_prefix or None,
            "s3SseAlgorithm": "AES256",
            "s3SseKmsKeyId": None,
            "manifestFilesS3Key": files_key,
            "billedSizeBytes": self.processed_bytes,
            "itemCount": self.item_count,
            "outputFormat": "DYNAMODB_JSON",
            "exportType": "FULL_EXPORT",
        }
        summary_json = json.dumps(summary, indent=2).encode("utf-8")
        self._put(s3_backend, self.manifest_key, summary_json)
        self._put(s3_backend, f"{self.export_dir}/manifest-summary.checksum",
                  hashlib.md5(summary_json).hexdigest().encode("ascii"))  # noqa: S324
        self.status = "COMPLETED"

    def response(self) -> dict[str, Any]:
        # The call that starts an export answers IN_PROGRESS, as AWS does, even when the
        # export's thread finished first (a loaded machine): export_table keeps that answer.
        started, self.started_answer = self.started_answer, None
        if started is not None:
            return started
        answer = dict(super().response(), ExportArn=self.arn, TableId=self.table_id,
                      StartTime=self.start_time, ExportTime=self.export_time)
        if self.status == "COMPLETED":
            answer.update(EndTime=self.end_time, ExportManifest=self.manifest_key)
        else:
            answer.pop("ItemCount", None)
            answer.pop("BilledSizeBytes", None)
        return {k: v for k, v in answer.items() if v is not None}


def export_table(self: models.DynamoDBBackend, s3_bucket: str, s3_prefix: str, table_arn: str,
                 export_format: str, export_type: str, s3_bucket_owner: str) -> StrataTableExport:
    table = next((t for t in self.tables.values() if t.table_arn == table_arn), None)
    if not table:
        raise models.TableNotFoundException(name=table_arn)
    if table.continuous_backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] != "ENABLED":
        raise models.PointInTimeRecoveryUnavailable(name=table_arn.split("/")[-1])
    export = StrataTableExport(s3_bucket=s3_bucket, s3_prefix=s3_prefix, region_name=self.region_name,
                               account_id=s3_bucket_owner or self.account_id, table=table,
                               export_format=export_format, export_type=export_type)
    self.table_exports[export.arn] = export
    export.started_answer = export.response()
    export.start()
    return export


def describe_export(self: models.DynamoDBBackend, export_arn: str) -> TableExport:
    if export_arn not in self.table_exports:
        raise ExportNotFoundException(export_arn)
    return self.table_exports[export_arn]


def _export_table_to_point_in_time(self: responses.DynamoHandler) -> Any:
    self.body = dict(self.body)
    self.body.setdefault("S3Prefix", "")
    self.body.setdefault("ExportFormat", "DYNAMODB_JSON")
    return _ORIGINAL_EXPORT(self)


_ORIGINAL_EXPORT = responses.DynamoHandler.export_table_to_point_in_time


def apply() -> None:
    models.DynamoDBBackend.export_table = export_table
    models.DynamoDBBackend.describe_export = describe_export
    responses.DynamoHandler.export_table_to_point_in_time = _export_table_to_point_in_time
