#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: remove the scratch tables and buckets of restore drills."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: drill_cleanup
short_description: Remove the scratch tables and buckets of restore drills, found by name prefix and tag
description:
  - Finds the DynamoDB tables and S3 buckets whose name starts with O(prefix) and that carry the tag
    O(tag_key)=O(tag_value), and deletes them (a bucket emptied first, every object version and delete marker).
  - A resource with the prefix but without the tag is left alone and never touched.
  - Also deletes the tables and buckets named in O(tables) and O(buckets) (the current drill's, which may not be
    tagged yet when the drill stopped early), when their names start with O(prefix); one already gone is skipped.
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  prefix:
    description: The name prefix of the drill's resources (for example C(strata-drill-dev-)); must not be empty.
    type: str
    required: true
  tag_key:
    description: The tag every scratch resource carries.
    type: str
    default: "strata:drill"
  tag_value:
    description: The tag's value (the environment).
    type: str
    required: true
  tables:
    description: Further tables to delete; each must start with O(prefix).
    type: list
    elements: str
    default: []
  buckets:
    description: Further buckets to delete; each must start with O(prefix).
    type: list
    elements: str
    default: []
seealso:
  - module: strata.aws.dynamodb_import
notes:
  - Supports check mode; it lists what it would delete.
  - Needs C(dynamodb:ListTables), C(dynamodb:DescribeTable), C(dynamodb:ListTagsOfResource), C(dynamodb:DeleteTable),
    C(s3:ListAllMyBuckets), C(s3:GetBucketTagging), C(s3:ListBucketVersions), C(s3:DeleteObject),
    C(s3:DeleteObjectVersion) and C(s3:DeleteBucket).
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
- name: Remove what interrupted drills left
  strata.aws.drill_cleanup:
    prefix: strata-drill-dev-
    tag_value: dev
"""

RETURN = r"""
tables:
  description: The tables deleted (in check mode, to delete).
  returned: always
  type: list
  elements: str
  sample: [strata-drill-dev-20250101t000000z]
buckets:
  description: The buckets deleted (in check mode, to delete).
  returned: always
  type: list
  elements: str
  sample: [strata-drill-dev-20250101t000000z]
objects:
  description: Object versions deleted with the buckets.
  returned: always
  type: int
  sample: 12
"""

from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.drill_resources import find_scratch, remove_scratch


def cleanup(module):
    params = module.params
    prefix = params["prefix"]
    outside = [name for name in params["tables"] + params["buckets"] if not name.startswith(prefix)]
    if outside:
        raise BackupError(f"tables/buckets {', '.join(outside)}: expected names starting with {prefix} (a drill's); "
                          "nothing was deleted")
    dynamodb, s3 = client(module, "dynamodb"), client(module, "s3")
    found = find_scratch(dynamodb, s3, prefix, params["tag_key"], params["tag_value"], params["retries"])
    tables = sorted(set(found["tables"]) | set(params["tables"]))
    buckets = sorted(set(found["buckets"]) | set(params["buckets"]))
    removed = remove_scratch(dynamodb, s3, tables, buckets, params["retries"], module.check_mode)
    return dict(removed, changed=bool(removed["tables"] or removed["buckets"]))


def main():
    run(
        {
            "prefix": {"type": "str", "required": True},
            "tag_key": {"type": "str", "default": "strata:drill", "no_log": False},
            "tag_value": {"type": "str", "required": True},
            "tables": {"type": "list", "elements": "str", "default": []},
            "buckets": {"type": "list", "elements": "str", "default": []},
        },
        cleanup,
    )


if __name__ == "__main__":
    main()
