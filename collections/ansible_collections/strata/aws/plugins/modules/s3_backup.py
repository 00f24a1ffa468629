#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: back up every object of an S3 bucket, with its metadata, into a strata backup."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: s3_backup
short_description: Back up every object of an S3 bucket, with its metadata, into a strata backup
description:
  - Downloads the current version of every object of O(bucket) into C(s3/<bucket>/objects/)
    under O(dest), streaming each body to disk in chunks on O(concurrency) threads, and writes
    C(s3/<bucket>/index.jsonl.gz) listing per object its key, file, size, sha256, md5, ETag,
    LastModified, download time, content type, user metadata, Cache-Control,
    Content-Encoding, Content-Disposition and Content-Language.
  - Object files are named by the SHA-256 of their key (S3 keys are not file paths); the
    index maps keys to files.
  - Incremental. An object whose key, size, ETag and LastModified match an entry of the
    O(previous) backup, or of an earlier run into the same O(dest), is copied from there
    instead of downloaded, and hashed as it is copied. The copy is a real one, never a hard
    link, so each backup stands alone and damage to a file of one backup cannot reach another.
    An earlier file whose size or sha256 no longer matches its index is not reused; the object
    is downloaded again. As S3 times have a resolution of one second, an object that was
    modified in the same second as it was downloaded is always downloaded again.
  - Files appear under their final names only when complete; the part record for
    M(strata.aws.backup_manifest) is written last.
  - Refuses a O(dest) that already holds a C(manifest.json).
version_added: 0.1.0
author: strata maintainers (@strata-deploy)
options:
  bucket:
    description: Name of the bucket to back up.
    type: str
    required: true
  dest:
    description:
      - Backup directory, for example C(backups/dev/20250101T000000Z); the bucket goes to
        C(s3/<bucket>/) in it. Created if needed.
      - Backup files are created with mode 0600.
    type: path
    required: true
  previous:
    description:
      - An earlier backup directory whose unchanged objects are reused instead of downloaded.
        It needs no manifest; only its C(s3/<bucket>/index.jsonl.gz) and object files are read.
    type: path
  concurrency:
    description: Number of objects transferred at the same time.
    type: int
    default: 8
seealso:
  - module: strata.aws.backup_manifest
  - module: strata.aws.s3_restore
notes:
  - Supports check mode; it lists the bucket and reports what would be downloaded or reused.
  - Only current object versions are backed up; object tags and ACLs are not.
  - Needs C(s3:ListBucket), C(s3:GetObject) and C(sts:GetCallerIdentity).
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
- name: Back up the site bucket
  strata.aws.s3_backup:
    bucket: strata-site-dev
    dest: "backups/dev/{{ backup_timestamp }}"

- name: Back up the logs bucket, reusing what the last backup already holds
  strata.aws.s3_backup:
    bucket: strata-logs-dev
    dest: "backups/dev/{{ backup_timestamp }}"
    previous: backups/dev/20250101T000000Z
    concurrency: 16
"""

RETURN = r"""
bucket:
  description: The bucket backed up.
  returned: always
  type: str
  sample: strata-site-dev
index:
  description: Absolute path of the bucket's index file.
  returned: always
  type: str
  sample: /srv/strata/backups/dev/20250101T000000Z/s3/strata-site-dev/index.jsonl.gz
object_count:
  description: Objects in the backup (in check mode, objects the bucket holds).
  returned: always
  type: int
  sample: 42
bytes:
  description: Total size of those objects.
  returned: always
  type: int
  sample: 1048576
downloaded:
  description: Objects downloaded (in check mode, to be downloaded).
  returned: always
  type: int
  sample: 2
downloaded_bytes:
  description: Bytes downloaded (in check mode, to be downloaded).
  returned: always
  type: int
  sample: 2048
reused:
  description: Objects copied from an earlier backup (and checked against its sha256) instead of downloaded.
  returned: always
  type: int
  sample: 40
"""

from ansible_collections.strata.aws.plugins.module_utils.backup_layout import resolve
from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run, source
from ansible_collections.strata.aws.plugins.module_utils.backup_s3 import backup_bucket


def backup(module):
    params = module.params
    s3 = client(module, "s3", pool_size=params["concurrency"])
    result = backup_bucket(
        s3,
        params["bucket"],
        params["dest"],
        source=None if module.check_mode else source(module, s3),
        previous=params["previous"],
        concurrency=params["concurrency"],
        retries=params["retries"],
        check_mode=module.check_mode,
    )
    return {
        "changed": True,
        "bucket": params["bucket"],
        "index": resolve(params["dest"], result["index"]),
        **{k: result[k] for k in ("object_count", "bytes", "downloaded", "downloaded_bytes", "reused")},
    }


def main():
    run(
        {
            "bucket": {"type": "str", "required": True},
            "dest": {"type": "path", "required": True},
            "previous": {"type": "path"},
            "concurrency": {"type": "int", "default": 8},
        },
        backup,
        minimums={"concurrency": 1},
    )


if __name__ == "__main__":
    main()
