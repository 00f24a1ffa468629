#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: empty buckets and lift tables' deletion protection before a confirmed replacement."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: replace_prepare
short_description: Empty buckets and lift deletion protection before a confirmed replacement
description:
  - Makes a confirmed replacement of buckets and tables possible. Terraform deletes the old
    resource of a replacement with the settings its state holds, so a bucket with objects
    (C(force_destroy) off) or a table with deletion protection would stop the apply half-way.
  - For each bucket of O(buckets), deletes every object version and delete marker
    (ListObjectVersions, DeleteObjects in batches of 1000).
  - For each table of O(tables), turns deletion protection off (UpdateTable) when it is on.
  - Destroys data. Call it only after a backup of exactly these resources was written and
    verified in the same run, as the C(stateful) role does.
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  buckets:
    description: Buckets to empty.
    type: list
    elements: str
    default: []
  tables:
    description: Tables whose deletion protection is lifted.
    type: list
    elements: str
    default: []
seealso:
  - module: strata.aws.s3_backup
  - module: strata.aws.dynamodb_backup
  - module: strata.aws.backup_verify
notes:
  - Supports check mode; it counts the versions it would delete and the protections it would lift.
  - Needs C(s3:ListBucketVersions), C(s3:DeleteObjectVersion), C(dynamodb:DescribeTable) and
    C(dynamodb:UpdateTable).
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
- name: Let Terraform replace the site bucket and the table (after a verified backup)
  strata.aws.replace_prepare:
    buckets: [strata-site-dev]
    tables: [strata-visits-dev]
"""

RETURN = r"""
deleted:
  description: Object versions and delete markers deleted per bucket (in check mode, to delete).
  returned: always
  type: dict
  sample: {"strata-site-dev": 12}
unprotected:
  description: Tables whose deletion protection was (in check mode, would be) turned off.
  returned: always
  type: list
  elements: str
  sample: ["strata-visits-prod"]
"""

from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run
from ansible_collections.strata.aws.plugins.module_utils.replace_prepare import (
    empty_bucket,
    lift_deletion_protection,
)


def prepare(module):
    params, check = module.params, module.check_mode
    s3, ddb = client(module, "s3"), client(module, "dynamodb")
    deleted = {bucket: empty_bucket(s3, bucket, check, params["retries"]) for bucket in params["buckets"]}
    unprotected = [table for table in params["tables"]
                   if lift_deletion_protection(ddb, table, check, params["retries"])]
    return {"changed": any(deleted.values()) or bool(unprotected), "deleted": deleted, "unprotected": unprotected}


def main():
    run(
        {
            "buckets": {"type": "list", "elements": "str", "default": []},
            "tables": {"type": "list", "elements": "str", "default": []},
        },
        prepare,
    )


if __name__ == "__main__":
    main()
