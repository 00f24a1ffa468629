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
  - With O(method=export), DynamoDB exports the table itself (C(ExportTableToPointInTime), from
    its point-in-time recovery data, using no read capacity) straight into the backup vault, under
    C(<vault_prefix>/dynamodb/<table>/AWSDynamoDB/<export-id>/); no item passes through this
    machine. The module waits for the export (O(export_timeout)), reads its
    C(manifest-summary.json) and C(manifest-files.json), checks that their item counts agree with
    each other and with C(DescribeExport), and checks every data file from what S3 keeps (it is
    there, its ETag is the manifest's and agrees with its C(md5Checksum)), without downloading it.
    The part record it writes into O(dest) names the export (ARN, time, directory, files, bytes)
    and the SHA-256 of both manifests, which the backup's manifest then carries
    (C(method=export), C(format_version) 3).
  - A table whose point-in-time recovery is off cannot be exported; with O(method=export) it is
    streamed as with O(method=stream) (into O(dest), for M(strata.aws.backup_upload) to take into
    the vault), the module warns, and RV(method) says C(stream) with RV(method_reason).
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
  method:
    description:
      - V(stream) scans the table into the table file under O(dest).
      - V(export) has DynamoDB export it into the backup vault (O(vault), O(vault_prefix)); a table
        without point-in-time recovery is streamed instead.
    type: str
    choices: [stream, export]
    default: stream
    version_added: 0.3.0
  vault:
    description: The backup vault's bucket, which O(method=export) exports into. Required with it.
    type: str
    version_added: 0.3.0
  vault_prefix:
    description:
      - Where the backup is in the vault, C(<set>/<name>), as M(strata.aws.backup_upload)'s O(strata.aws.backup_upload#module:prefix).
        Required with O(method=export).
    type: str
    version_added: 0.3.0
  export_timeout:
    description: Seconds to wait for DynamoDB's export before the backup fails.
    type: int
    default: 14400
    version_added: 0.3.0
seealso:
  - module: strata.aws.backup_manifest
  - module: strata.aws.dynamodb_restore
  - module: strata.aws.s3_backup
notes:
  - Supports check mode; it checks that the table exists and writes nothing.
  - Credentials come from the standard AWS chain. Needs C(dynamodb:DescribeTable),
    C(dynamodb:Scan) and C(sts:GetCallerIdentity); C(dynamodb:DescribeContinuousBackups) to
    record the point-in-time recovery window. O(method=export) needs
    C(dynamodb:ExportTableToPointInTime) and C(dynamodb:DescribeExport) on the table, and
    C(s3:PutObject), C(s3:GetObject) and C(s3:ListBucket) on the vault (DynamoDB writes the export
    with the caller's permissions).
  - In check mode with O(method=export), nothing is exported and nothing is read from the vault.
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

- name: Have DynamoDB export the table straight into the backup vault (point-in-time recovery on)
  strata.aws.dynamodb_backup:
    table: strata-visits-prod
    dest: "backups/prod/.{{ backup_timestamp }}.staging"
    method: export
    vault: strata-backups-123456789012
    vault_prefix: "prod/{{ backup_timestamp }}"

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
  description:
    - Absolute path of the table file; with RV(method=export), the S3 URI of the export's C(manifest-files.json).
  returned: always
  type: str
  sample: /srv/strata/backups/dev/20250101T000000Z/dynamodb/strata-visits-dev.jsonl.gz
method:
  description: How the table was backed up, V(stream) or V(export).
  returned: always
  type: str
  sample: export
  version_added: 0.3.0
method_reason:
  description: Why a table asked to be exported was streamed (its point-in-time recovery is off).
  returned: when O(method=export) and the table was streamed
  type: str
  sample: "table strata-visits-dev: point-in-time recovery is off, so DynamoDB cannot export it"
  version_added: 0.3.0
export:
  description: The export DynamoDB wrote (RV(method=export)), as the manifest records it.
  returned: when RV(method=export), not in check mode
  type: dict
  version_added: 0.3.0
  contains:
    arn:
      description: The export's ARN.
      type: str
    id:
      description: The export's id.
      type: str
    time:
      description: The point in time the export holds.
      type: str
    dir:
      description: The export's directory in the backup (C(dynamodb/<table>/AWSDynamoDB/<export-id>)).
      type: str
    summary:
      description: C(manifest-summary.json) (C(file), C(bytes), C(sha256)).
      type: dict
    files:
      description: Data files.
      type: int
    data_bytes:
      description: Their total size.
      type: int
  sample: {arn: "arn:aws:dynamodb:us-east-1:123456789012:table/strata-visits-prod/export/01732000000000-a1b2c3d4",
           id: 01732000000000-a1b2c3d4, time: "2026-11-23T10:00:00.000Z",
           dir: dynamodb/strata-visits-prod/AWSDynamoDB/01732000000000-a1b2c3d4,
           summary: {file: dynamodb/strata-visits-prod/AWSDynamoDB/01732000000000-a1b2c3d4/manifest-summary.json,
                     bytes: 610, sha256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae},
           files: 4, data_bytes: 40960}
item_count:
  description: Items written, counted while streaming (with RV(method=export), the export's count).
  returned: when not in check mode
  type: int
  sample: 1024
bytes:
  description: Size of the export file (with RV(method=export), of C(manifest-files.json)).
  returned: when not in check mode
  type: int
  sample: 40960
sha256:
  description: SHA-256 of the export file (with RV(method=export), of C(manifest-files.json)).
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

from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run, source
from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import export_table
from ansible_collections.strata.aws.plugins.module_utils.backup_export import PitrOff, export_table_to_vault
from ansible_collections.strata.aws.plugins.module_utils.backup_store import VaultStore

RESULT_FIELDS = ("item_count", "bytes", "sha256", "table_format", "pitr", "pitr_unknown", "export")


def _export(module, dynamodb, backup_source):
    """DynamoDB's export of the table into the vault; None (with the reason warned) when it
    cannot be exported and is to be streamed."""
    params = module.params
    s3 = client(module, "s3")
    try:
        result = export_table_to_vault(
            dynamodb, s3, params["table"], params["dest"], backup_source, params["vault"], params["vault_prefix"],
            retries=params["retries"], timeout=params["export_timeout"], check_mode=module.check_mode,
        )
    except PitrOff as exc:
        module.warn(f"{exc.msg}: streamed into {params['dest']} instead (method stream)")
        return None, exc.msg
    store = VaultStore(s3, params["vault"], params["vault_prefix"])
    location = store.location(result["file"]) if result.get("file") else result["export"]["uri"]
    return dict(result, path=location), ""


def export(module):
    params = module.params
    if params["method"] == "export" and not (params["vault"] and params["vault_prefix"]):
        module.fail_json(msg=f"method export: vault ({params['vault']!r}) and vault_prefix ({params['vault_prefix']!r}) "
                             "are required: DynamoDB exports the table into the backup vault")
    segments = params["segments"]
    dynamodb = client(module, "dynamodb", pool_size=segments)
    backup_source = None if module.check_mode else source(module, dynamodb)
    result, reason = (None, "")
    if params["method"] == "export":
        result, reason = _export(module, dynamodb, backup_source)
    if result is None:
        result = export_table(
            dynamodb,
            params["table"],
            params["dest"],
            source=backup_source,
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
        "method": result.get("method", "stream"),
        **({"method_reason": reason} if reason else {}),
        **{k: result[k] for k in RESULT_FIELDS if k in result},
    }


def main():
    run(
        {
            "table": {"type": "str", "required": True},
            "dest": {"type": "path", "required": True},
            "segments": {"type": "int", "default": 1},
            "page_size": {"type": "int"},
            "consistent_read": {"type": "bool", "default": False},
            "method": {"type": "str", "choices": ["stream", "export"], "default": "stream"},
            "vault": {"type": "str"},
            "vault_prefix": {"type": "str"},
            "export_timeout": {"type": "int", "default": 14400},
        },
        export,
        minimums={"segments": 1, "page_size": 1, "export_timeout": 1},
    )


if __name__ == "__main__":
    main()
