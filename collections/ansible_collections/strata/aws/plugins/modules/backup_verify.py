#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: verify a strata backup against its manifest and the live resources."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: backup_verify
short_description: Verify a strata backup against its manifest and, optionally, the live resources
description:
  - Re-reads every file of the backup in O(src) and checks it against C(manifest.json),
    that is each table file's size, sha256 and item count (and that every line has the shape of
    its C(table_format), C({"Item":{...}}) or a bare item in C(format_version) 1 backups),
    each bucket index's size and
    sha256, its object count and total bytes, and every object file's size and sha256.
  - With O(live=true), also compares the manifest's counts with the live table (paginated
    C(Scan Select=COUNT)) and bucket (paginated C(ListObjectsV2)).
  - Goes on past each damaged file, so that every damaged or missing file is named (the
    table file, or the bucket and key of an object), not only the first.
  - Fails naming each file or resource that differs and how, unless O(tolerate_damage=true).
    Never changes anything.
  - The restore modules (M(strata.aws.dynamodb_restore), M(strata.aws.s3_restore)) check
    every file they restore from themselves, and a damaged file fails only its table or its
    object. So a restore does not need this module first; run it there with
    O(tolerate_damage=true) to report the damage up front without stopping the restore of
    everything else.
version_added: 0.1.0
author: strata maintainers (@strata-deploy)
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
  tolerate_damage:
    description:
      - Report damaged or missing files in RV(damaged) (and as a warning) without failing,
        for a restore that goes on with what is intact.
      - A missing or invalid C(manifest.json) fails whatever this says, and so does a
        difference with the live resources under O(live=true).
    type: bool
    default: false
    version_added: 0.3.0
seealso:
  - module: strata.aws.backup_manifest
notes:
  - Supports check mode, where it does the same checks.
  - O(region), O(endpoint_url) and O(retries) are used only with O(live).
  - With O(live), needs C(dynamodb:Scan) and C(s3:ListBucket).
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
- name: Verify the backup before anything is destroyed
  strata.aws.backup_verify:
    src: "backups/dev/{{ backup_timestamp }}"
    live: true

- name: Before a restore, list what is damaged without stopping the rest
  strata.aws.backup_verify:
    src: backups/dev/20250101T000000Z
    tolerate_damage: true
  register: checked

- name: Name the damaged objects
  ansible.builtin.debug:
    msg: "{{ checked.damaged | map(attribute='problem') | list }}"
  when: checked.damaged | length > 0
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
  description: Every difference found between the files and the manifest (empty when none).
  returned: always
  type: list
  elements: str
  sample: ["dynamodb/strata-visits-dev.jsonl.gz: sha256 is 5e88..., manifest says 9f86..."]
damaged:
  description:
    - One entry per damaged or missing file (empty when none). With O(tolerate_damage=true)
      the module succeeds and this says what a restore will not be able to put back.
  returned: always
  type: list
  elements: dict
  version_added: 0.3.0
  contains:
    resource:
      description: V(table) or V(bucket).
      type: str
    name:
      description: The table or bucket.
      type: str
    key:
      description: The object's key; null for a table file or a bucket index (the whole bucket).
      type: str
    file:
      description: The file, relative to O(src).
      type: str
    problem:
      description: What differs, naming the file (and the object).
      type: str
  sample:
    - resource: bucket
      name: strata-site-dev
      key: index.html
      file: s3/strata-site-dev/objects/3f/3f0c...
      problem: "s3/strata-site-dev/objects/3f/3f0c... (s3://strata-site-dev/index.html): sha256 is 5e88..., manifest says 9f86..."
"""

from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError, summary
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import find_damage, verify_live
from ansible_collections.strata.aws.plugins.module_utils.backup_s3 import count_objects
from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import count_items


def check(module):
    params = module.params
    src = params["src"]
    manifest, damaged = find_damage(src)
    problems = [d["problem"] for d in damaged]
    if damaged:
        message = summary(f"backup {src} failed verification", problems)
        if not params["tolerate_damage"]:
            raise BackupError(message, problems=problems, damaged=damaged)
        module.warn(f"{message} (tolerated: tolerate_damage is true)")
    result = {
        "changed": False,
        "manifest": manifest,
        "tables": [t["name"] for t in manifest["tables"]],
        "buckets": [b["name"] for b in manifest["buckets"]],
        "problems": problems,
        "damaged": damaged,
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
            "tolerate_damage": {"type": "bool", "default": False},
        },
        check,
    )


if __name__ == "__main__":
    main()
