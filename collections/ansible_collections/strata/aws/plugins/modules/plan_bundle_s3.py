#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: copy a strata plan bundle to S3 (encrypted, read back, expiring) or back."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: plan_bundle_s3
short_description: Copy a strata plan bundle to S3 or download it from there
description:
  - A plan bundle (M(strata.deploy.plan_bundle)) is a directory of saved plans and C(manifest.json), written last. This
    module copies one between that directory, O(path), and C(s3://<bucket>/<prefix>/), so that the plan job and the
    apply job of an approval workflow need no shared storage.
  - With O(state=present) it uploads every plan file, then C(manifest.json), each with its SHA-256 as S3's own checksum
    (S3 refuses a body that differs), encrypted at rest (SSE-S3, or SSE-KMS with O(kms_key)), and reads each back
    (GetObject) as soon as it is in, comparing its SHA-256 and its encryption; the manifest goes only when every plan
    file checked out. A prefix that already holds a bundle is refused (a bundle is written once). Before the first
    upload, the bucket's lifecycle is made to expire the prefix after O(expire_days) days; a rule that already does
    (such as the state bucket's C(plans/) rule, which the bootstrap layer keeps) is left alone, otherwise a rule for
    the prefix joins the bucket's rules, every other rule kept.
  - With O(state=fetched) it downloads every object of the bundle into O(path) (created mode 0700, each file 0600).
    It checks nothing against the manifest; M(strata.deploy.plan_bundle) with C(state=verify) does, before anything is
    applied.
version_added: 0.4.0
author: strata maintainers (@strata-deploy)
options:
  path:
    description: The bundle directory on the controller (for a bundle in S3, a private temporary directory).
    type: path
    required: true
  bucket:
    description: The bucket of the bundle.
    type: str
    required: true
  prefix:
    description: The bundle's key prefix in O(bucket), without a trailing slash (C(plans/dev/42)).
    type: str
    required: true
  state:
    description: C(present) uploads the bundle in O(path), C(fetched) downloads it into O(path).
    type: str
    choices: [present, fetched]
    default: fetched
  kms_key:
    description:
      - The KMS key (id, ARN or alias) that encrypts the objects (SSE-KMS). Empty encrypts them with S3's own keys
        (SSE-S3, AES256).
    type: str
    default: ''
  expire_days:
    description: Days after which the bundle expires (lifecycle rule), with O(state=present).
    type: int
    default: 7
notes:
  - Supports check mode. With O(state=present) it then checks that the prefix holds no bundle yet and whether the
    lifecycle covers it, and uploads nothing; with O(state=fetched) it downloads as without check mode (a download
    changes nothing in AWS, and the apply checks the bundle before anything).
  - 'IAM actions: s3:PutObject, s3:GetObject (HeadObject), s3:ListBucket, s3:AbortMultipartUpload,
    s3:GetLifecycleConfiguration, s3:PutLifecycleConfiguration on the bucket (PutLifecycleConfiguration only when no
    rule expires the prefix yet); kms:GenerateDataKey and kms:Decrypt on O(kms_key) when given.'
seealso:
  - module: strata.deploy.plan_bundle
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
- name: Copy the reviewed plans to the state bucket
  strata.aws.plan_bundle_s3:
    path: "{{ bundle_tmp.path }}"
    bucket: strata-tfstate-123456789012
    prefix: plans/dev/42
    state: present

- name: Download them for the apply job
  strata.aws.plan_bundle_s3:
    path: "{{ bundle_tmp.path }}"
    bucket: strata-tfstate-123456789012
    prefix: plans/dev/42
    state: fetched
"""

RETURN = r"""
uri:
  description: Where the bundle is in S3.
  returned: always
  type: str
  sample: s3://strata-tfstate-123456789012/plans/dev/42/
path:
  description: The directory the bundle was downloaded into.
  returned: when O(state=fetched)
  type: str
files:
  description: Each file of the bundle (C(manifest.json) last when uploaded) with its C(key), C(sha256) and C(size).
  returned: always
  type: list
  elements: dict
lifecycle:
  description: The lifecycle rule that expires the bundle (C(rule), its id) and whether it was added (C(changed)).
  returned: when O(state=present)
  type: dict
  sample: {rule: expire-plan-bundles, changed: false}
encryption:
  description: The server-side encryption of the objects written, C(AES256) or C(aws:kms).
  returned: when O(state=present)
  type: str
"""

from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run
from ansible_collections.strata.aws.plugins.module_utils.plan_bundle_s3 import fetch_bundle, upload_bundle


def transfer(module):
    params = module.params
    s3 = client(module, "s3")
    if params["state"] == "present":
        return upload_bundle(s3, params["path"], params["bucket"], params["prefix"], kms_key=params["kms_key"],
                             expire_days=params["expire_days"], check_mode=module.check_mode)
    return dict(fetch_bundle(s3, params["bucket"], params["prefix"], params["path"]), changed=False)


def main():
    run(
        {
            "path": {"type": "path", "required": True},
            "bucket": {"type": "str", "required": True},
            "prefix": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "fetched"], "default": "fetched"},
            # A key id, ARN or alias names the key; it grants nothing.
            "kms_key": {"type": "str", "default": "", "no_log": False},
            "expire_days": {"type": "int", "default": 7},
        },
        transfer,
        minimums={"expire_days": 1},
    )


if __name__ == "__main__":
    main()
