#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: read back the data protections of buckets and tables, and seed items."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: protection_info
short_description: Read back the data protections of buckets and tables, and the seed items
description:
  - For each bucket of O(buckets), reads its versioning status and its public access block.
  - For each table of O(tables), reads point-in-time recovery and deletion protection.
  - For each item of O(items), reads whether an item of that key (the table's key attributes of
    the given item) is in O(items_table), and its current values.
  - Reports in RV(problems) every protection that is missing (versioning not Enabled, a public access
    block absent or with a setting off, PITR or deletion protection off when O(expect_point_in_time_recovery)
    or O(expect_deletion_protection) asks for it, a missing item). Changes nothing.
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  buckets:
    description: Buckets whose versioning and public access block must be on.
    type: list
    elements: str
    default: []
  tables:
    description: DynamoDB tables to read.
    type: list
    elements: str
    default: []
  expect_point_in_time_recovery:
    description: Whether point-in-time recovery must be on for O(tables).
    type: bool
    default: false
  expect_deletion_protection:
    description: Whether deletion protection must be on for O(tables).
    type: bool
    default: false
  items_table:
    description: The table holding O(items).
    type: str
  items:
    description: Items (at least their key attributes) that must be present in O(items_table).
    type: list
    elements: dict
    default: []
notes:
  - "IAM actions needed: C(s3:GetBucketVersioning), C(s3:GetBucketPublicAccessBlock), C(dynamodb:DescribeTable),
    C(dynamodb:DescribeContinuousBackups), C(dynamodb:GetItem)."
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
- name: Read the protections of the state, site and logs buckets and the visits table
  strata.aws.protection_info:
    buckets: [strata-tfstate-123456789012, strata-site-dev, strata-logs-dev]
    tables: [strata-visits-dev]
    expect_point_in_time_recovery: true
    items_table: strata-visits-dev
    items:
      - stat: Quantity
  register: protection
"""

RETURN = r"""
buckets:
  description: Bucket name to exists, versioning (C(Enabled), C(Suspended) or null) and public_access_block (or null).
  returned: always
  type: dict
tables:
  description: Table name to exists, point_in_time_recovery, deletion_protection, key (attribute names), item_count.
  returned: always
  type: dict
items:
  description: Each item's table, key, present and item (its current values, plain JSON; null when absent).
  returned: always
  type: list
  elements: dict
problems:
  description: One sentence per missing protection; empty when everything is in place.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.strata.aws.plugins.module_utils import protection
from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run


def inspect(module):
    params = module.params
    found = protection.read(client(module, "s3"), client(module, "dynamodb"), params["buckets"], params["tables"],
                            params["items_table"], params["items"])
    found["problems"] = protection.problems(
        found["buckets"], found["tables"], found["items"],
        expect_pitr=params["expect_point_in_time_recovery"],
        expect_deletion_protection=params["expect_deletion_protection"])
    return dict(found, changed=False)


def main():
    run(
        {
            "buckets": {"type": "list", "elements": "str", "default": []},
            "tables": {"type": "list", "elements": "str", "default": []},
            "expect_point_in_time_recovery": {"type": "bool", "default": False},
            "expect_deletion_protection": {"type": "bool", "default": False},
            "items_table": {"type": "str"},
            "items": {"type": "list", "elements": "dict", "default": []},
        },
        inspect,
    )


if __name__ == "__main__":
    main()
