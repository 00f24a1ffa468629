#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: export every item of a DynamoDB table into a strata backup."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: dynamodb_backup
short_description: Export every item of a DynamoDB table into a strata backup
description:
  - Scans the table and streams the items into C(dynamodb/<table>.jsonl.gz) under O(dest),
    gzipped, one item per line, written one at a time (a page is never joined into one string),
    in DynamoDB typed JSON exactly as the low-level API returns it
    (S, N, B, SS, NS, BS, M, L, BOOL, NULL; binary values base64-encoded), so types and
    number precision survive. Memory stays flat whatever the table size.
  - Each line is C({"Item":{...}}), the line AWS's own export (C(ExportTableToPointInTime),
    C(ExportFormat=DYNAMODB_JSON)) writes, so AWS's C(ImportTable) (C(InputFormat=DYNAMODB_JSON),
    C(InputCompressionType=GZIP)) can create a table from the file. The manifest records it as
    C(table_format=dynamodb_json_item) (C(format_version) 2). Backups of C(format_version) 1,
    one bare typed item a line, keep restoring with M(strata.aws.dynamodb_restore).
  - After the scan it reads the table's point-in-time recovery window
    (C(DescribeContinuousBackups)) into the manifest entry as C(pitr) (C(earliest), C(latest);
    null when recovery is off). When the call fails (no permission, an emulator without it) the
    backup goes on; C(pitr) is null, C(pitr_unknown) says why, and the module warns.
  - The file is written under a temporary name and renamed once complete, then a part record
    is written for M(strata.aws.backup_manifest); an interrupted export leaves no finished file.
  - Throttled requests are retried with botocore's adaptive retry mode and then with the
    module's own exponential backoff.
  - Refuses a O(dest) that already holds a C(manifest.json); a finished backup is never modified.
  - Named C(strata.aws.dynamodb_export) in 0.1.0 (that name still works, as a deprecated
    redirect, until 1.0.0), renamed to pair with M(strata.aws.s3_backup).
version_added: 0.2.0
author: strata maintainers (@strata-deploy)
options:
  table:
    description: Name of the table to export.
    type: str
    required: true
  dest:
    description:
      - Backup directory, for example C(backups/dev/20250101T000000Z); the table goes to
        C(dynamodb/<table>.jsonl.gz) in it. Created if needed.
      - Backup files are created with mode 0600.
    type: path
    required: true
  segments:
    description:
      - Number of parallel scan segments (1 = a sequential scan). Each segment runs in its own
        thread; pages go through a bounded queue to a single writer.
    type: int
    default: 1
  page_size:
    description:
      - Items per Scan request (C(Limit)); unset lets DynamoDB fill 1 MB pages.
      - Peak memory is about two pages per segment, whatever the table size; smaller pages
        lower it at the cost of more requests.
    type: int
  consistent_read:
    description: Use strongly consistent reads (twice the read capacity).
    type: bool
    default: false
seealso:
  - module: strata.aws.backup_manifest
  - module: strata.aws.dynamodb_restore
  - module: strata.aws.s3_backup
notes:
  - Supports check mode; it checks that the table exists and writes nothing.
  - Credentials come from the standard AWS chain. Needs C(dynamodb:DescribeTable),
    C(dynamodb:Scan) and C(sts:GetCallerIdentity); C(dynamodb:DescribeContinuousBackups) to
    record the point-in-time recovery window.
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
- name: Export the visits table
  strata.aws.dynamodb_backup:
    table: strata-visits-dev
    dest: "backups/dev/{{ backup_timestamp }}"

- name: Export a large table with four parallel scan segments
  strata.aws.dynamodb_backup:
    table: strata-visits-prod
    dest: "backups/prod/{{ backup_timestamp }}"
    segments: 4
    consistent_read: true
"""

RETURN = r"""
table:
  description: The exported table.
  returned: always
  type: str
  sample: strata-visits-dev
file:
  description: Absolute path of the export file.
  returned: always
  type: str
  sample: /srv/strata/backups/dev/20250101T000000Z/dynamodb/strata-visits-dev.jsonl.gz
item_count:
  description: Items written, counted while streaming.
  returned: when not in check mode
  type: int
  sample: 1024
bytes:
  description: Size of the export file.
  returned: when not in check mode
  type: int
  sample: 40960
sha256:
  description: SHA-256 of the export file.
  returned: when not in check mode
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
table_format:
  description: The line format of the file, C(dynamodb_json_item) (C({"Item":{...}}) lines).
  returned: when not in check mode
  type: str
  sample: dynamodb_json_item
pitr:
  description:
    - The table's point-in-time recovery window when the backup was taken (UTC), or null when
      recovery is off or the window could not be read (see RV(pitr_unknown)).
  returned: when not in check mode
  type: dict
  sample: {earliest: "2026-11-20T09:00:00.000Z", latest: "2026-11-23T09:55:00.000Z"}
  contains:
    earliest:
      description: EarliestRestorableDateTime.
      type: str
    latest:
      description: LatestRestorableDateTime.
      type: str
    recovery_period_days:
      description: RecoveryPeriodInDays, when AWS reports it.
      type: int
pitr_unknown:
  description: Why the recovery window could not be read (the AWS error).
  returned: when DescribeContinuousBackups failed
  type: str
  sample: "DescribeContinuousBackups failed: AccessDeniedException: ..."
"""

from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import export_table
from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run, source


def export(module):
    params = module.params
    segments = params["segments"]
    dynamodb = client(module, "dynamodb", pool_size=segments)
    result = export_table(
        dynamodb,
        params["table"],
        params["dest"],
        source=None if module.check_mode else source(module, dynamodb),
        segments=segments,
        page_size=params["page_size"],
        consistent_read=params["consistent_read"],
        retries=params["retries"],
        check_mode=module.check_mode,
    )
    if result.get("pitr_unknown"):
        module.warn(f"table {result['name']}: the backup records no point-in-time recovery window: "
                    f"{result['pitr_unknown']}")
    return {
        "changed": True,
        "table": result["name"],
        "file": result.pop("path"),
        **{k: result[k] for k in ("item_count", "bytes", "sha256", "table_format", "pitr", "pitr_unknown")
           if k in result},
    }


def main():
    run(
        {
            "table": {"type": "str", "required": True},
            "dest": {"type": "path", "required": True},
            "segments": {"type": "int", "default": 1},
            "page_size": {"type": "int"},
            "consistent_read": {"type": "bool", "default": False},
        },
        export,
        minimums={"segments": 1, "page_size": 1},
    )


if __name__ == "__main__":
    main()
