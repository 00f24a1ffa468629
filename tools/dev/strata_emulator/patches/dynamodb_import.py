"""DynamoDB ImportTable: reading DYNAMODB_JSON lines as AWS reads them.

moto 5.2.5 (``moto.dynamodb.models.table_import.TableImport``) parses each imported object
with py_partiql_parser's ``JsonParser``, which stops at an empty map (``{}``): a line holding
``{"M": {}}`` or ``{"L": [{"M": {}}]}`` ends the parse of the whole object, so every item of
that file, the ones before it included, is silently left out, and the import still reports
COMPLETED with ``ImportedItemCount`` 0. AWS reads the file line by line, one ``{"Item": ...}``
JSON document a line, and imports empty maps and lists like any other value.

Here each object (gunzipped when ``InputCompressionType`` is GZIP) is read line by line with
the standard JSON parser; a line that is not a ``{"Item": {...}}`` document counts as an
error, as AWS counts it (``ErrorCount``), and the import then FAILED. The rest is moto's.
"""
from __future__ import annotations

import json
from typing import Any

from moto.core.utils import gzip_decompress
from moto.dynamodb.models import table_import

_ORIGINAL = table_import.TableImport._process_s3_files


def _process_s3_files(self: table_import.TableImport, s3_backend: Any, bucket: Any) -> None:
    from moto.dynamodb.models import dynamodb_backends

    dynamo = dynamodb_backends[self.account_id][self.region_name]
    self.table = dynamo.create_table(
        name=self.table_name, billing_mode=self.billing_mode, throughput=self.throughput, schema=self.key_schema,
        global_indexes=self.global_indexes, indexes=None, attr=self.attrs, sse_specification=None, streams=None,
        tags=[], deletion_protection_enabled=False, warm_throughput=None,
    )
    keys, _, _, _ = s3_backend.list_objects(bucket, prefix=self.s3_source.get("S3KeyPrefix"), delimiter=None,
                                            marker=None, max_keys=None)
    for key in keys:
        raw = gzip_decompress(key.value) if self.compression_type == "GZIP" else key.value
        for line in raw.decode("utf-8").splitlines():
            if not line.strip():
                continue
            self.processed_count += 1
            self.processed_bytes += len(line)
            try:
                document = json.loads(line)
                self.table.put_item(item_attrs=document["Item"])
                self.imported_count += 1
            except Exception as exc:  # noqa: BLE001 - AWS counts any unreadable line as an error
                self.failure_message = str(exc)
                self.error_count += 1
    self.status = "COMPLETED" if self.error_count == 0 else "FAILED"


def apply() -> None:
    table_import.TableImport._process_s3_files = _process_s3_files
