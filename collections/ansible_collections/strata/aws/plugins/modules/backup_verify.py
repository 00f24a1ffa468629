#!/usr/bin/python
"""Ansible module: verify a strata backup against its manifest and the live resources."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: backup_verify
short_description: Verify a strata backup against its manifest and, optionally, the live resources
description:
  - Re-reads every file of the backup in O(src) and checks it against C(manifest.json),
    that is each table file's size, sha256 and item count, each bucket index's size and
    sha256, its object count and total bytes, and every object file's size and sha256.
  - With O(live=true), also compares the manifest's counts with the live table (paginated
    C(Scan Select=COUNT)) and bucket (paginated C(ListObjectsV2)).
  - Fails naming each file or resource that differs and how. Never changes anything.
version_added: 0.1.0
author: strata maintainers
options:
  src:
    description: The backup directory.
    type: path
    required: true
  live:
    description: Also compare item and object counts with the live table and buckets.
    type: bool
    default: false
  consistent_read:
    description: Count live items with strongly consistent reads.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - strata.aws.aws_connection
notes:
  - Supports check mode, where it does the same checks.
  - O(region), O(endpoint_url) and O(retries) are used only with O(live).
  - With O(live), needs C(dynamodb:Scan) and C(s3:ListBucket).
seealso:
  - module: strata.aws.backup_manifest
"""

EXAMPLES = r"""
- name: Verify the backup before anything is destroyed
  strata.aws.backup_verify:
    src: "backups/dev/{{ backup_timestamp }}"
    live: true
"""

RETURN = r"""
manifest:
  description: The verified manifest.
  returned: success
  type: dict
tables:
  description: Names of the tables in the backup.
  returned: success
  type: list
  elements: str
  sample: [strata-visits-dev]
buckets:
  description: Names of the buckets in the backup.
  returned: success
  type: list
  elements: str
  sample: [strata-site-dev, strata-logs-dev]
live:
  description: Live counts, per table (items) and per bucket (objects).
  returned: when O(live=true) and successful
  type: dict
  sample: {tables: {strata-visits-dev: 3}, buckets: {strata-site-dev: 2}}
problems:
  description: Every difference found.
  returned: failure
  type: list
  elements: str
  sample: ["dynamodb/strata-visits-dev.jsonl.gz: sha256 is 5e88..., manifest says 9f86..."]
"""

from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import count_items
from ansible_collections.strata.aws.plugins.module_utils.backup_format import verify, verify_live
from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run
from ansible_collections.strata.aws.plugins.module_utils.backup_s3 import count_objects


def check(module):
    params = module.params
    manifest = verify(params["src"])
    result = {
        "changed": False,
        "manifest": manifest,
        "tables": [t["name"] for t in manifest["tables"]],
        "buckets": [b["name"] for b in manifest["buckets"]],
    }
    if params["live"]:
        dynamodb, s3 = client(module, "dynamodb"), client(module, "s3")
        result["live"] = verify_live(
            manifest,
            lambda table: count_items(dynamodb, table, params["consistent_read"], params["retries"]),
            lambda bucket: count_objects(s3, bucket, params["retries"]),
        )
    return result


def main():
    run(
        {
            "src": {"type": "path", "required": True},
            "live": {"type": "bool", "default": False},
            "consistent_read": {"type": "bool", "default": False},
        },
        check,
    )


if __name__ == "__main__":
    main()
