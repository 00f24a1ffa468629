#!/usr/bin/python
"""Ansible module: restore a DynamoDB table from a strata backup."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: dynamodb_restore
short_description: Restore a DynamoDB table from a strata backup, types intact
description:
  - Checks the table's file in the backup O(src) against the manifest (size and sha256, one
    sequential read of the raw bytes) before writing anything. A damaged, truncated or missing
    file fails this table with a message naming the file, and nothing is written to it; the
    other tables of the backup are separate runs of the module and are not affected.
  - Then parses the file once, streaming the items back, and fails at the end if it held
    another number of items than the manifest says.
  - So no M(strata.aws.backup_verify) is needed before it.
  - O(mode=missing) writes only items whose key the table does not hold. Existing keys are
    looked up in batches (BatchGetItem) and each missing item is written with a conditional
    PutItem (C(attribute_not_exists)), so existing items keep their values, including one
    created while the restore runs.
  - O(mode=overwrite) writes every item with BatchWriteItem (25 per request, unprocessed items
    retried with backoff), replacing items with the same key.
  - Items of the table that the backup does not hold are never touched.
version_added: 0.1.0
author: strata maintainers
options:
  src:
    description: The backup directory (one with a C(manifest.json)).
    type: path
    required: true
  source_table:
    description: The table of the backup to restore; may be omitted when the backup holds one table.
    type: str
  table:
    description: The table to restore into; defaults to O(source_table). It must exist with the same key schema.
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
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - strata.aws.aws_connection
notes:
  - Supports check mode; it verifies the table's file and reports the items that would be
    written (looking up existing keys in V(missing) mode) without writing.
  - Needs C(dynamodb:DescribeTable), C(dynamodb:BatchWriteItem) (overwrite) or
    C(dynamodb:BatchGetItem) and C(dynamodb:PutItem) (missing).
seealso:
  - module: strata.aws.dynamodb_backup
  - module: strata.aws.backup_verify
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
"""

from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import restore_table
from ansible_collections.strata.aws.plugins.module_utils.aws_module import run_restore


def main():
    run_restore("dynamodb", restore_table, resource="table", written="restored", concurrency=4)


if __name__ == "__main__":
    main()
