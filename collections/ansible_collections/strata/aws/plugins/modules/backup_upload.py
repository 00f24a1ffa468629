#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: copy a complete strata backup into the backup vault and verify it there."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: backup_upload
short_description: Copy a complete strata backup into the backup vault (S3) and verify it there
description:
  - Uploads every file of the backup in O(src) to C(s3://<bucket>/<prefix>/), in the same layout,
    C(manifest.json) last, so that a backup interrupted on its way into the vault is incomplete
    there, as on disk, and never chosen by M(strata.aws.backup_find).
  - Each file goes with its SHA-256 as S3's own checksum (S3 refuses a body that does not match);
    afterwards each object's size and stored checksum are read back (HeadObject) and compared with
    the file. Any difference fails the task, naming every object that differs.
  - A backup the vault already holds with the same manifest is verified again, not uploaded; one
    with another manifest is refused (a backup is written once).
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  src:
    description: A complete backup directory (one with a C(manifest.json)).
    type: path
    required: true
  bucket:
    description: The vault's bucket.
    type: str
    required: true
  prefix:
    description: Where the backup goes in the vault, C(<set>/<name>) (the environment and the backup's name).
    type: str
    required: true
  concurrency:
    description: Files transferred at the same time.
    type: int
    default: 8
seealso:
  - module: strata.aws.backup_find
notes:
  - Supports check mode, where nothing is uploaded and a backup already in the vault is only compared by its manifest.
  - 'IAM actions: s3:PutObject, s3:GetObject (HeadObject), s3:ListBucket on the vault.'
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
- name: Stream a finished backup into the vault
  strata.aws.backup_upload:
    src: backups/dev/20250101T000000Z
    bucket: strata-backups-123456789012
    prefix: dev/20250101T000000Z
"""

RETURN = r"""
uri:
  description: Where the backup is in the vault.
  returned: always
  type: str
  sample: s3://strata-backups-123456789012/dev/20250101T000000Z/
files:
  description: Files of the backup (and objects in the vault, once uploaded).
  returned: always
  type: int
  sample: 12
bytes:
  description: Their total size.
  returned: always
  type: int
  sample: 40960
uploaded:
  description: Files uploaded in this run (0 when the vault held the backup already, and in check mode).
  returned: always
  type: int
  sample: 12
"""

from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run
from ansible_collections.strata.aws.plugins.module_utils.backup_vault import upload_backup


def upload(module):
    params = module.params
    return upload_backup(
        client(module, "s3", pool_size=params["concurrency"]),
        params["src"],
        params["bucket"],
        params["prefix"],
        concurrency=params["concurrency"],
        check_mode=module.check_mode,
    )


def main():
    run(
        {
            "src": {"type": "path", "required": True},
            "bucket": {"type": "str", "required": True},
            "prefix": {"type": "str", "required": True},
            "concurrency": {"type": "int", "default": 8},
        },
        upload,
        minimums={"concurrency": 1},
    )


if __name__ == "__main__":
    main()
