#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: complete a strata backup by writing its manifest."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: backup_manifest
short_description: Complete a strata backup by writing its manifest
description:
  - Collects the part records that M(strata.aws.dynamodb_backup) and M(strata.aws.s3_backup)
    wrote into O(dest) for exactly the O(tables) and O(buckets) named, and writes
    C(manifest.json) atomically (temporary file, then rename). A backup without a manifest is
    incomplete, so this is the last step of a backup.
  - The manifest holds the format version, the creation time, the source (account, region,
    custom endpoint, O(env)), per table its item count, file, size, sha256, line format
    (C(table_format), C(dynamodb_json_item) since C(format_version) 2) and point-in-time recovery
    window (C(pitr) with C(earliest) and C(latest), null when off; C(pitr_unknown) when it could not
    be read), and per bucket
    its object count, total bytes, index file and the index's size and sha256 (the index holds
    the sha256 of every object file).
  - Refuses, naming each problem, when a named resource was not exported into O(dest), when one
    of its files (table file, bucket index, any object file) is missing or has another size, or
    when the resources were exported from different sources.
  - Idempotent. A manifest already written for the same O(env), O(tables) and O(buckets) is
    left as it is; a different one is refused.
version_added: 0.1.0
author: strata maintainers (@strata-deploy)
options:
  dest:
    description: The backup directory the exports wrote into.
    type: path
    required: true
  env:
    description: Environment label recorded as the backup's source, for example C(dev).
    type: str
    required: true
  tables:
    description: Tables that must be in the backup.
    type: list
    elements: str
    default: []
  buckets:
    description: Buckets that must be in the backup.
    type: list
    elements: str
    default: []
seealso:
  - module: strata.aws.backup_verify
notes:
  - Supports check mode and writes nothing. Resources the exports have not written yet (as
    in a whole backup run in check mode) are not an error there; the manifest is then not
    returned.
  - Makes no AWS request; the source comes from the exports' part records.
extends_documentation_fragment:
  - strata.aws.attributes
  - strata.aws.attributes.platform
  - ansible.builtin.action_common_attributes
"""

EXAMPLES = r"""
- name: Complete the backup
  strata.aws.backup_manifest:
    dest: "backups/dev/{{ backup_timestamp }}"
    env: dev
    tables: [strata-visits-dev]
    buckets: [strata-site-dev, strata-logs-dev]
"""

RETURN = r"""
path:
  description: Absolute path of the manifest.
  returned: always
  type: str
  sample: /srv/strata/backups/dev/20250101T000000Z/manifest.json
manifest:
  description: The manifest (written, to be written in check mode, or already present).
  returned: unless, in check mode, some resources are not exported yet
  type: dict
  sample:
    format: strata-backup
    format_version: 2
    created_at: "2025-01-01T00:00:00Z"
    source: {account: "123456789012", region: us-east-1, endpoint_url: null, env: dev}
    tables:
      - {name: strata-visits-dev, item_count: 3, file: dynamodb/strata-visits-dev.jsonl.gz,
         bytes: 120, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08,
         table_format: dynamodb_json_item,
         pitr: {earliest: "2024-12-01T00:00:00.000Z", latest: "2024-12-31T23:55:00.000Z"}}
    buckets:
      - {name: strata-site-dev, object_count: 2, bytes: 2048, index: s3/strata-site-dev/index.jsonl.gz,
         index_bytes: 310, index_sha256: 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752}
pending:
  description: In check mode, the resources not exported yet (always empty otherwise).
  returned: always
  type: list
  elements: str
  sample: [table strata-visits-dev, bucket strata-site-dev]
"""

import os

from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import write_manifest
from ansible_collections.strata.aws.plugins.module_utils.aws_module import run


def complete(module):
    params = module.params
    result = write_manifest(
        params["dest"], params["env"], params["tables"], params["buckets"], check_mode=module.check_mode
    )
    result["path"] = os.path.abspath(result["path"])
    if result["manifest"] is None:
        del result["manifest"]
    return result


def main():
    run(
        {
            "dest": {"type": "path", "required": True},
            "env": {"type": "str", "required": True},
            "tables": {"type": "list", "elements": "str", "default": []},
            "buckets": {"type": "list", "elements": "str", "default": []},
        },
        complete,
        aws=False,
    )


if __name__ == "__main__":
    main()
