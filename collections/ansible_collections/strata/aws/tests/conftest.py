# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by strata.aws's unit and integration tests (the emulator's fixtures,
``emulator_endpoint`` and ``aws_session``, come from the project's root conftest.py; the
integration tests' own are in integration/conftest.py)."""
from __future__ import annotations

import pytest


@pytest.fixture
def aws_export_dir(tmp_path):
    """Build what ExportTableToPointInTime (ExportFormat DYNAMODB_JSON, full export) writes to
    S3, as downloaded to disk: ``make(table, files)`` with ``files`` a list of item lists (one
    data file each; an empty list is an empty partition's empty file) writes

        <tmp>/awsexport/<prefix>/AWSDynamoDB/<export-id>/_started
                                                        manifest-summary.json
                                                        manifest-summary.checksum
                                                        manifest-files.json
                                                        manifest-files.checksum
                                                        data/<name>.json.gz

    with real gzip files, each line ``{"Item": <DynamoDB JSON>}``, and manifest-files.json
    lines carrying each file's itemCount, md5Checksum (base64 of the MD5 digest, as AWS writes
    it), etag and dataFileS3Key (under the prefix). Returns ``(prefix_dir, export_dir)``."""
    import base64
    import gzip
    import hashlib
    import json

    from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import encode_item

    def make(table, files, prefix="exports/2026-11", export_id="01732000000000-a1b2c3d4"):
        root = tmp_path / "awsexport"
        prefix_dir = root / prefix
        export_dir = prefix_dir / "AWSDynamoDB" / export_id
        (export_dir / "data").mkdir(parents=True)
        (export_dir / "_started").write_bytes(b"")
        manifest_lines = []
        for number, items in enumerate(files):
            name = f"{hashlib.sha1(f'{export_id}-{number}'.encode()).hexdigest()[:26]}.json.gz"
            path = export_dir / "data" / name
            if items:
                body = b"".join(
                    json.dumps({"Item": encode_item(item)}, ensure_ascii=number % 2 == 0,
                               separators=(",", ":")).encode("utf-8") + b"\n"
                    for item in items
                )
                path.write_bytes(gzip.compress(body))
            else:
                path.write_bytes(b"")  # an empty partition's file
            digest = hashlib.md5(path.read_bytes()).digest()
            manifest_lines.append({
                "itemCount": len(items),
                "md5Checksum": base64.b64encode(digest).decode("ascii"),
                "etag": f"{digest.hex()}-1",
                "dataFileS3Key": f"{prefix}/AWSDynamoDB/{export_id}/data/{name}",
            })
        files_json = "".join(json.dumps(line) + "\n" for line in manifest_lines).encode()
        (export_dir / "manifest-files.json").write_bytes(files_json)
        (export_dir / "manifest-files.checksum").write_text(hashlib.md5(files_json).hexdigest())
        summary = {
            "version": "2020-06-30",
            "exportArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}/export/{export_id}",
            "startTime": "2026-11-23T10:00:00.000Z",
            "endTime": "2026-11-23T10:05:00.000Z",
            "tableArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}",
            "tableId": "12345a12-abcd-123a-ab12-1234abc12345",
            "exportTime": "2026-11-23T10:00:00.000Z",
            "s3Bucket": "strata-exports",
            "s3Prefix": prefix,
            "s3SseAlgorithm": "AES256",
            "s3SseKmsKeyId": None,
            "manifestFilesS3Key": f"{prefix}/AWSDynamoDB/{export_id}/manifest-files.json",
            "billedSizeBytes": sum(p.stat().st_size for p in (export_dir / "data").iterdir()),
            "itemCount": sum(len(items) for items in files),
            "outputFormat": "DYNAMODB_JSON",
            "exportType": "FULL_EXPORT",
        }
        summary_json = json.dumps(summary, indent=2).encode()
        (export_dir / "manifest-summary.json").write_bytes(summary_json)
        (export_dir / "manifest-summary.checksum").write_text(hashlib.md5(summary_json).hexdigest())
        return prefix_dir, export_dir

    return make
