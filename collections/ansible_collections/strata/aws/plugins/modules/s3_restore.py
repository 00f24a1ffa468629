#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: restore the objects of an S3 bucket from a strata backup."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: s3_restore
short_description: Restore the objects of an S3 bucket from a strata backup, with their metadata
description:
  - Uploads each object of the bucket's backup in O(src) with its bytes, content type, user
    metadata, Cache-Control, Content-Encoding, Content-Disposition and Content-Language, on
    O(concurrency) threads.
  - Verifies as it goes. The bucket's index is checked against the manifest (size, sha256)
    first; when it differs nothing is uploaded. Each object's file is checked against the index
    (size, sha256) just before it is uploaded. A damaged or missing file fails that object only
    and is skipped; every other object is restored, then the module fails with a message
    naming each object it could not restore and why, and returns the counts and RV(failed_objects).
  - So no M(strata.aws.backup_verify) is needed before it; run that with
    O(strata.aws.backup_verify#module:tolerate_damage=true) to list the damage up front
    without stopping the restore.
  - O(mode=missing) uploads only keys the bucket does not hold; existing objects are left as
    they are whatever their content. Uploads are conditional (C(If-None-Match)), so an object
    created while the restore runs is kept too.
  - O(mode=overwrite) makes every key of the backup equal to it. An object that already has the
    recorded bytes (same size and MD5 ETag) and headers is skipped, any other is uploaded.
  - Keys of the bucket that the backup does not hold are never touched.
  - O(src) may be a backup in the backup vault (C(s3://<vault>/<set>/<name>)). Its objects are then
    copied server-side from the vault into the bucket (C(CopyObject); in parts past 5 GiB), with
    their recorded headers and metadata, never downloaded; each is checked first from what S3
    keeps of it (size and SHA-256 checksum, or the checksum recorded for an object copied
    server-side), and a copy that differs fails that object only. C(missing) mode then relies on
    the bucket listing taken beforehand (a copy has no conditional write).
version_added: 0.1.0
author: strata maintainers (@strata-deploy)
options:
  src:
    description:
      - The backup directory (one with a C(manifest.json)), or the S3 URI of a backup in the backup
        vault (C(s3://<vault>/<set>/<name>)).
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
seealso:
  - module: strata.aws.s3_backup
  - module: strata.aws.backup_verify
notes:
  - Supports check mode; it verifies the files it would upload and reports what would be
    uploaded, and fails the same way on a damaged one.
  - Each object to upload is read twice, once to check its sha256 and once to upload it, so
    that nothing is uploaded from a damaged file. Objects left unchanged are not read.
  - Objects of 1 GiB or more are uploaded in parts, without the conditional write; the bucket
    listing taken beforehand still keeps existing keys in V(missing) mode.
  - Needs C(s3:ListBucket), C(s3:PutObject) and, in V(overwrite) mode, C(s3:GetObject) (HeadObject);
    from the vault, C(s3:GetObject) and C(s3:ListBucket) on it.
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
- name: Put back the objects the site bucket lost
  strata.aws.s3_restore:
    src: backups/dev/20250101T000000Z
    source_bucket: strata-site-dev

- name: Put back the objects of a backup in the vault, copied server-side
  strata.aws.s3_restore:
    src: s3://strata-backups-123456789012/prod/20250101T000000Z
    source_bucket: strata-site-prod

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
failed_objects:
  description:
    - The objects not restored because their file in the backup is damaged or missing (the
      module then fails). An entry with a null C(key) is the bucket's index, and then no object was
      uploaded.
    - Named so because C(failed) is reserved in Ansible results.
  returned: always
  type: list
  elements: dict
  version_added: 0.3.0
  contains:
    key:
      description: The object's key (null for the index).
      type: str
    file:
      description: Its file, relative to O(src).
      type: str
    reason:
      description: What differs, naming the file and the object.
      type: str
  sample:
    - key: img/logo.png
      file: s3/strata-site-dev/objects/9c/9c1e...
      reason: "s3/strata-site-dev/objects/9c/9c1e... (s3://strata-site-dev/img/logo.png): sha256 is 5e88..., manifest says 9f86..."
"""

from ansible_collections.strata.aws.plugins.module_utils.aws_module import run_restore
from ansible_collections.strata.aws.plugins.module_utils.backup_s3_restore import restore_bucket


def main():
    run_restore("s3", restore_bucket, resource="bucket", written="uploaded", concurrency=8)


if __name__ == "__main__":
    main()
