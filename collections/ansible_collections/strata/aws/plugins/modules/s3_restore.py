#!/usr/bin/python
"""Ansible module: restore the objects of an S3 bucket from a strata backup."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: s3_restore
short_description: Restore the objects of an S3 bucket from a strata backup, with their metadata
description:
  - Verifies the bucket's index and every object file in the backup O(src) against the
    manifest and refuses to restore from a backup that fails, then uploads each object with its
    bytes, content type, user metadata, Cache-Control, Content-Encoding, Content-Disposition and
    Content-Language, on O(concurrency) threads.
  - O(mode=missing) uploads only keys the bucket does not hold; existing objects are left as
    they are whatever their content. Uploads are conditional (C(If-None-Match)), so an object
    created while the restore runs is kept too.
  - O(mode=overwrite) makes every key of the backup equal to it. An object that already has the
    recorded bytes (same size and MD5 ETag) and headers is skipped, any other is uploaded.
  - Keys of the bucket that the backup does not hold are never touched.
version_added: 0.1.0
author: strata maintainers
options:
  src:
    description: The backup directory (one with a C(manifest.json)).
    type: path
    required: true
  source_bucket:
    description: The bucket of the backup to restore; may be omitted when the backup holds one bucket.
    type: str
  bucket:
    description: The bucket to restore into; defaults to O(source_bucket). It must exist.
    type: str
  mode:
    description: V(missing) keeps objects that exist; V(overwrite) replaces those that differ.
    type: str
    choices: [missing, overwrite]
    default: missing
  concurrency:
    description: Number of objects uploaded at the same time.
    type: int
    default: 8
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - strata.aws.aws_connection
notes:
  - Supports check mode; it verifies the backup and reports what would be uploaded.
  - Objects of 1 GiB or more are uploaded in parts, without the conditional write; the bucket
    listing taken beforehand still keeps existing keys in V(missing) mode.
  - Needs C(s3:ListBucket), C(s3:PutObject) and, in V(overwrite) mode, C(s3:GetObject) (HeadObject).
seealso:
  - module: strata.aws.s3_backup
  - module: strata.aws.backup_verify
"""

EXAMPLES = r"""
- name: Put back the objects the site bucket lost
  strata.aws.s3_restore:
    src: backups/dev/20250101T000000Z
    source_bucket: strata-site-dev

- name: Make the logs bucket equal to the backup for every key it holds
  strata.aws.s3_restore:
    src: backups/dev/20250101T000000Z
    source_bucket: strata-logs-dev
    mode: overwrite
    concurrency: 16
"""

RETURN = r"""
bucket:
  description: The bucket restored into.
  returned: always
  type: str
  sample: strata-site-dev
source_bucket:
  description: The bucket of the backup.
  returned: always
  type: str
  sample: strata-site-dev
object_count:
  description: Objects in the backup.
  returned: always
  type: int
  sample: 42
uploaded:
  description: Objects uploaded (in check mode, to be uploaded).
  returned: always
  type: int
  sample: 2
uploaded_bytes:
  description: Bytes uploaded (in check mode, to be uploaded).
  returned: always
  type: int
  sample: 2048
unchanged:
  description:
    - Objects left as they were (existing in V(missing) mode, identical in V(overwrite) mode).
    - Named so because C(skipped) is reserved in Ansible results.
  returned: always
  type: int
  sample: 40
"""

from ansible_collections.strata.aws.plugins.module_utils.aws_module import run_restore
from ansible_collections.strata.aws.plugins.module_utils.backup_s3 import restore_bucket


def main():
    run_restore("s3", restore_bucket, resource="bucket", written="uploaded", concurrency=8)


if __name__ == "__main__":
    main()
