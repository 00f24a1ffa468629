#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: restore a DynamoDB table from a strata backup or an AWS export directory."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: dynamodb_restore
short_description: Restore a DynamoDB table from a strata backup or an AWS export, types intact
description:
  - Restores from a strata backup (O(src)) or from an AWS export directory (O(aws_export)).
  - From a strata backup, checks the table's file in O(src) against the manifest (size and
    sha256, one sequential read of the raw bytes) before writing anything. A damaged, truncated
    or missing file fails this table with a message naming the file, and nothing is written to
    it; the other tables of the backup are separate runs of the module and are not affected.
  - Reads both table formats of strata backups - C({"Item":{...}}) lines (manifest
    C(format_version) 2, C(table_format=dynamodb_json_item), AWS's own DynamoDB JSON export
    line) and the bare typed items of C(format_version) 1 backups - so every older backup
    keeps restoring.
  - From an AWS export (what C(ExportTableToPointInTime) with C(ExportFormat=DYNAMODB_JSON)
    writes to S3, downloaded), checks before writing anything that every data file listed in
    C(manifest-files.json) is there, has the recorded C(md5Checksum) and, once gunzipped, the
    recorded C(itemCount) of lines, and that the files' counts add up to the C(itemCount) of
    C(manifest-summary.json). Every damaged file is named and nothing is written.
  - Then parses the files once, streaming the items back, and fails at the end if one held
    another number of items than recorded.
  - So no M(strata.aws.backup_verify) is needed before it.
  - O(mode=missing) writes only items whose key the table does not hold. Existing keys are
    looked up in batches (BatchGetItem) and each missing item is written with a conditional
    PutItem (C(attribute_not_exists)), so existing items keep their values, including one
    created while the restore runs.
  - O(mode=overwrite) writes every item with BatchWriteItem (25 per request, unprocessed items
    retried with backoff), replacing items with the same key.
  - Items of the table that the backup does not hold are never touched.
  - A strata backup records each table's key schema (key attribute names, types and roles).
    When the target table's key schema differs, no item is written, and O(key_schema_changed)
    decides whether that fails the task or is reported (RV(carried) false, RV(reason)). A backup
    written before the key schema was recorded is not compared.
version_added: 0.1.0
author: strata maintainers (@strata-deploy)
options:
  src:
    description:
      - The strata backup directory (one with a C(manifest.json)).
      - Exactly one of O(src) and O(aws_export) is required.
    type: path
  aws_export:
    description:
      - An AWS DynamoDB export downloaded from S3 (for example with C(aws s3 sync
        s3://<bucket>/<prefix> <dir>)) - the export directory C(AWSDynamoDB/<export-id>)
        holding C(manifest-summary.json), C(manifest-files.json) and C(data/*.json.gz), or a
        directory above it (the prefix, or C(AWSDynamoDB)) that holds exactly one export.
      - Only full exports in DynamoDB JSON (C(outputFormat=DYNAMODB_JSON)); incremental and
        Ion exports are refused.
      - C(md5Checksum) is read as AWS documents it, the base64 of the file's MD5 digest; a hex
        MD5 is accepted too. The C(etag) is not checked (a multipart or SSE-KMS ETag is not an
        MD5), nor are the C(*.checksum) files, whose format AWS does not document.
      - Exactly one of O(src) and O(aws_export) is required.
    type: path
    version_added: 0.3.0
  source_table:
    description:
      - The table of the backup to restore; may be omitted when the backup holds one table.
      - With O(aws_export), if given, it must be the table the export was taken from (the name
        in the summary's C(tableArn)).
    type: str
  table:
    description:
      - The table to restore into; defaults to O(source_table) (with O(aws_export), the
        exported table's name). It must exist with the same key schema.
    type: str
  mode:
    description: V(missing) keeps items that exist; V(overwrite) replaces them.
    type: str
    choices: [missing, overwrite]
    default: missing
  concurrency:
    description: Number of batches written at the same time.
    type: int
    default: 4
  key_schema_changed:
    description:
      - What to do when the target's key schema differs from the one the backup recorded.
      - V(fail) fails naming both key schemas; V(skip) writes nothing and returns RV(carried)
        false with RV(reason), leaving the rest of the play to say what to do with the backup.
    type: str
    choices: [fail, skip]
    default: fail
    version_added: 0.3.0
seealso:
  - module: strata.aws.dynamodb_backup
  - module: strata.aws.backup_verify
notes:
  - Supports check mode; it verifies the table's file and reports the items that would be
    written (looking up existing keys in V(missing) mode) without writing.
  - Needs C(dynamodb:DescribeTable), C(dynamodb:BatchWriteItem) (overwrite) or
    C(dynamodb:BatchGetItem) and C(dynamodb:PutItem) (missing).
  - To create a new table from a strata backup with AWS itself instead, upload the table file
    and call C(ImportTable) with C(InputFormat=DYNAMODB_JSON), C(InputCompressionType=GZIP)
    and the file's key as C(S3KeyPrefix); see the collection README.
extends_documentation_fragment:
  - strata.aws.attributes
  - strata.aws.attributes.platform
  - ansible.builtin.action_common_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - strata.aws.aws_connection
"""

EXAMPLES = r"""
- name: Put back the items the table lost, keeping the ones it has
  strata.aws.dynamodb_restore:
    src: backups/dev/20250101T000000Z
    source_table: strata-visits-dev

- name: Restore a prod backup over a dev table
  strata.aws.dynamodb_restore:
    src: backups/prod/20250101T000000Z
    source_table: strata-visits-prod
    table: strata-visits-dev
    mode: overwrite

- name: Restore a table from an AWS point-in-time export downloaded from S3
  strata.aws.dynamodb_restore:
    aws_export: exports/strata-visits-prod/AWSDynamoDB/01732000000000-a1b2c3d4
    table: strata-visits-dev
    mode: overwrite
"""

RETURN = r"""
table:
  description: The table restored into.
  returned: always
  type: str
  sample: strata-visits-dev
source_table:
  description: The table of the backup.
  returned: always
  type: str
  sample: strata-visits-dev
item_count:
  description: Items in the backup.
  returned: always
  type: int
  sample: 1024
restored:
  description: Items written (in check mode, to be written).
  returned: always
  type: int
  sample: 24
unchanged:
  description:
    - Items left as they were because their key exists (V(missing) mode).
    - Named so because C(skipped) is reserved in Ansible results.
  returned: always
  type: int
  sample: 1000
aws_export:
  description: The export directory restored from (the one holding C(manifest-summary.json)).
  returned: with O(aws_export)
  type: str
  sample: /srv/exports/AWSDynamoDB/01732000000000-a1b2c3d4
export_arn:
  description: The export's ARN, from C(manifest-summary.json).
  returned: with O(aws_export)
  type: str
  sample: arn:aws:dynamodb:us-east-1:123456789012:table/strata-visits-prod/export/01732000000000-a1b2c3d4
export_time:
  description: The point in time the export holds, from C(manifest-summary.json).
  returned: with O(aws_export)
  type: str
  sample: "2026-11-23T10:00:00.000Z"
carried:
  description: False when the key schema differs and O(key_schema_changed=skip) (nothing written), else true.
  returned: success
  type: bool
  sample: true
reason:
  description: Why nothing was written (the key schema change, old and new), or empty.
  returned: success
  type: str
  sample: "the key schema changed: strata-visits-dev had stat (S, HASH), strata-visits-dev has metric (S, HASH); ..."
problems:
  description: When an AWS export fails verification, each damaged file and what is wrong with it.
  returned: on an AWS export's verification failure
  type: list
  elements: str
  sample: ["data/a1b2c3.json.gz: md5 is sQMSpEILNgoQmarvDFonGQ== (b10312a4420b360a1099aaef0c5a2719), manifest-files.json says ..."]
"""

from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import restore_table
from ansible_collections.strata.aws.plugins.module_utils.aws_module import run_restore


def main():
    run_restore("dynamodb", restore_table, resource="table", written="restored", concurrency=4,
                other_sources={"aws_export": {"type": "path"}},
                options={"key_schema_changed": {"type": "str", "choices": ["fail", "skip"], "default": "fail"}})


if __name__ == "__main__":
    main()
