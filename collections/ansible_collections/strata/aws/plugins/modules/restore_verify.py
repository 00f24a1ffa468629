#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: compare restored tables and buckets with a strata backup, item by item and object by object."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: restore_verify
short_description: Compare restored tables and buckets with a strata backup, item by item and object by object
description:
  - Compares every item of each table in O(tables) and every object of each bucket in O(buckets) with the backup
    in O(src) they were restored from, and names what differs.
  - A table is read back with a consistent C(Scan); each item's checksum (SHA-256 of its canonical DynamoDB JSON)
    is compared with the checksum of the item of the same key in the backup's table file (or DynamoDB's export of
    it), and the count with the manifest's C(item_count).
  - A bucket is read back object by object (C(GetObject), hashed as it streams); each object's size, SHA-256,
    recorded headers (content type, cache control, encoding, disposition, language) and metadata are compared with
    the bucket's index, and the count with the manifest's C(object_count).
  - Names items and objects missing from the restored resource, those it holds that the backup does not, and those
    that differ (the item's key, or the object's key and which field differs).
  - Fails naming every difference unless O(tolerate_differences=true). Never changes anything.
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  src:
    description: The backup directory, or the S3 URI of a backup in the vault (C(s3://<vault>/<set>/<name>)).
    type: str
    required: true
  tables:
    description: The tables to compare, a dict C(<table of the backup>) to C(<restored table>).
    type: dict
    default: {}
  buckets:
    description: The buckets to compare, a dict C(<bucket of the backup>) to C(<restored bucket>).
    type: dict
    default: {}
  concurrency:
    description: Objects read at the same time.
    type: int
    default: 8
  tolerate_differences:
    description: Report the differences in RV(problems) without failing.
    type: bool
    default: false
seealso:
  - module: strata.aws.backup_verify
  - module: strata.aws.dynamodb_import
notes:
  - Supports check mode, where it does the same comparison.
  - Needs C(dynamodb:DescribeTable) and C(dynamodb:Scan) on the tables, C(s3:ListBucket) and C(s3:GetObject) on the
    buckets, and on the vault for a backup there.
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
- name: Prove that a drill's scratch table and bucket hold the backup, item by item
  strata.aws.restore_verify:
    src: backups/dev/20250101T000000Z
    tables:
      strata-visits-dev: strata-drill-dev-20250101t000000z
    buckets:
      strata-site-dev: strata-drill-dev-20250101t000000z
"""

RETURN = r"""
ok:
  description: Whether every compared resource holds exactly the backup.
  returned: always
  type: bool
  sample: true
tables:
  description:
    - Per table, C(name) (restored), C(source) (of the backup), C(expected) and C(actual) counts, C(missing),
      C(unexpected) (keys), C(different) (C(id) and C(problem)), C(problems) and C(ok).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "strata-drill-dev-1", "source": "strata-visits-dev", "expected": 301, "actual": 301, "ok": true,
            "missing": [], "unexpected": [], "different": [], "problems": []}]
buckets:
  description: Per bucket, the same fields as RV(tables) (the ids are object keys).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "strata-drill-dev-1", "source": "strata-site-dev", "expected": 3, "actual": 3, "ok": true,
            "missing": [], "unexpected": [], "different": [], "problems": []}]
problems:
  description: Every difference, one sentence each.
  returned: always
  type: list
  elements: str
  sample: ["table strata-drill-dev-1: stat=item-000001: item checksum is 9f8..., the backup's is 1a2..."]
"""

from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run
from ansible_collections.strata.aws.plugins.module_utils.backup_compare import raise_on_difference, verify_restored


def check(module):
    params = module.params
    result = verify_restored(
        params["src"], tables=params["tables"], buckets=params["buckets"],
        dynamodb=client(module, "dynamodb") if params["tables"] else None,
        s3=client(module, "s3", pool_size=params["concurrency"]),
        concurrency=params["concurrency"], retries=params["retries"],
    )
    if not params["tolerate_differences"]:
        raise_on_difference(result)
    return dict(result, changed=False)


def main():
    run(
        {
            "src": {"type": "str", "required": True},
            "tables": {"type": "dict", "default": {}},
            "buckets": {"type": "dict", "default": {}},
            "concurrency": {"type": "int", "default": 8},
            "tolerate_differences": {"type": "bool", "default": False},
        },
        check,
        minimums={"concurrency": 1},
    )


if __name__ == "__main__":
    main()
