#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: create a new DynamoDB table like an existing one, imported from a strata backup."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: dynamodb_import
short_description: Restore a table of a strata backup into a new table with ImportTable, shaped like an existing one
description:
  - Creates the new table O(table) with the key schema, attribute definitions, billing mode (with its throughput),
    global secondary indexes and server-side encryption of the existing table O(like), and tags it with O(tags).
  - With O(method=import), DynamoDB's C(ImportTable) creates it from the backup's files where they are in the
    backup vault (O(src) an C(s3://) URI); no item passes through the machine that runs the module. A streamed
    table's file (C(dynamodb/<table>.jsonl.gz), gzipped C({"Item":{...}}) lines in DynamoDB JSON) is imported
    under its full key as C(S3KeyPrefix); a table the backup holds as DynamoDB's export is imported from its
    C(data/) files.
  - Before anything is created, checks the file against the manifest (its size and SHA-256, from what S3 keeps; an
    export's manifests and data files as M(strata.aws.dynamodb_restore) checks them), that O(table) does not exist
    and that the key schema of O(like) is the one the backup recorded.
  - Waits for the import and fails when it does not complete, reports errors, or imported another number of items
    than the manifest records; then waits until the table is ACTIVE.
  - With O(method=create), creates the table empty (C(CreateTable)), for a backup on disk that
    M(strata.aws.dynamodb_restore) then streams into (C(ImportTable) reads only from S3).
  - Local secondary indexes, streams, TTL, point-in-time recovery and deletion protection are not copied
    (C(ImportTable) takes none of them); a restored table that must keep them gets them from its Terraform layer.
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  src:
    description:
      - The S3 URI of a backup in the backup vault (C(s3://<vault>/<set>/<name>)).
      - Required with O(method=import); not used with O(method=create).
    type: str
  source_table:
    description: The table of the backup to import; may be omitted when the backup holds one table.
    type: str
  table:
    description: The new table; it must not exist.
    type: str
    required: true
  like:
    description: The existing table whose key schema, billing mode and settings the new table gets.
    type: str
    required: true
  method:
    description:
      - V(import) creates the table with C(ImportTable) from the backup in the vault.
      - V(create) creates it empty with C(CreateTable).
    type: str
    choices: [import, create]
    default: import
  tags:
    description: Tags of the new table.
    type: dict
    default: {}
  timeout:
    description: Seconds to wait for the import and for the table to become ACTIVE.
    type: int
    default: 3600
seealso:
  - module: strata.aws.dynamodb_restore
  - module: strata.aws.restore_verify
notes:
  - Supports check mode; it checks the backup, the shape and that O(table) is free, and creates nothing.
  - Needs C(dynamodb:DescribeTable) on both tables, C(dynamodb:ImportTable), C(dynamodb:DescribeImport),
    C(dynamodb:CreateTable) and C(dynamodb:TagResource) on O(table), C(s3:GetObject) and C(s3:ListBucket) on the
    vault (C(ImportTable) reads it with the caller's permissions), and C(logs:CreateLogGroup),
    C(logs:CreateLogStream), C(logs:PutLogEvents) and C(logs:DescribeLogGroups) for C(ImportTable)'s error log.
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
- name: Restore prod's visits table from the vault into a new table, as prod's table is
  strata.aws.dynamodb_import:
    src: s3://strata-backups-123456789012/prod/20250101T000000Z
    source_table: strata-visits-prod
    table: strata-visits-prod-restored
    like: strata-visits-prod

- name: Create an empty table like the live one, for a backup on disk to be streamed into
  strata.aws.dynamodb_import:
    method: create
    table: strata-drill-dev-20250101t000000z
    like: strata-visits-dev
    tags:
      strata:drill: dev
"""

RETURN = r"""
table:
  description: The new table.
  returned: always
  type: str
  sample: strata-visits-prod-restored
source_table:
  description: The table of the backup imported.
  returned: with O(method=import)
  type: str
  sample: strata-visits-prod
item_count:
  description: Items the manifest records for the table.
  returned: with O(method=import)
  type: int
  sample: 1024
imported:
  description: Items DynamoDB imported (0 in check mode).
  returned: with O(method=import)
  type: int
  sample: 1024
import_arn:
  description: The import's ARN (empty in check mode).
  returned: with O(method=import)
  type: str
  sample: arn:aws:dynamodb:us-east-1:123456789012:table/strata-visits-prod-restored/import/01732000000000-a1b2c3d4
s3_source:
  description: Where ImportTable read the items (bucket and key prefix).
  returned: with O(method=import)
  type: str
  sample: s3://strata-backups-123456789012/prod/20250101T000000Z/dynamodb/strata-visits-prod.jsonl.gz
key_schema:
  description: The key schema of the new table.
  returned: always
  type: str
  sample: stat (S, HASH)
billing_mode:
  description: The billing mode of the new table.
  returned: always
  type: str
  sample: PAY_PER_REQUEST
seconds:
  description: How long the import (or creation) took, from the request until the table was ACTIVE.
  returned: always
  type: float
  sample: 42.5
"""

from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run
from ansible_collections.strata.aws.plugins.module_utils.backup_import import create_table, import_table


def restore(module):
    params = module.params
    dynamodb = client(module, "dynamodb")
    common = {"table": params["table"], "like": params["like"], "tags": params["tags"], "timeout": params["timeout"],
              "retries": params["retries"], "check_mode": module.check_mode}
    if params["method"] == "create":
        result = create_table(dynamodb, **common)
    else:
        result = import_table(dynamodb, client(module, "s3"), params["src"], source_table=params["source_table"],
                              **common)
    return dict(result, changed=True)


def main():
    run(
        {
            "src": {"type": "str"},
            "source_table": {"type": "str"},
            "table": {"type": "str", "required": True},
            "like": {"type": "str", "required": True},
            "method": {"type": "str", "choices": ["import", "create"], "default": "import"},
            "tags": {"type": "dict", "default": {}},
            "timeout": {"type": "int", "default": 3600},
        },
        restore,
        minimums={"timeout": 1},
        required_if=[("method", "import", ["src"])],
    )


if __name__ == "__main__":
    main()
