#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: read a Terraform state's S3 versions, or roll the state back to one of them."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: terraform_state
short_description: Read a Terraform state's S3 versions, or roll the state back to one of them
description:
  - With O(state=info), reads the state O(bucket)/O(key) and reports the current version (serial,
    lineage, resource count, last write, size), with O(versions=true) every version of it, and with
    O(bucket_stats=true) the number and total size of every object version in the bucket.
    Changes nothing.
  - With O(state=rollback), writes the content of version O(version_id) as the newest state. It
    refuses a version that does not exist, is not a state, or is of another lineage than the
    current state. It takes the state's lock(s) first the way Terraform does (the lock table's
    item and/or the C(.tflock) object, per O(lock_mode)), writes the content with C(serial) one
    above the current serial as a new version (every earlier version stays), sets the lock table's
    digest item C(<bucket>/<key>-md5) to the md5 of the new content, and releases the lock.
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  bucket:
    description: The state bucket (versioned).
    type: str
    required: true
  key:
    description:
      - The state object's key, for example C(dev/stateful/terraform.tfstate); its S3 versions are
        the ones read and rolled back to.
    type: str
    required: true
  lock_table:
    description: The DynamoDB lock table (lock modes C(dynamodb) and C(both)).
    type: str
  lock_mode:
    description: How the state is locked, as in the S3 backend.
    type: str
    choices: [dynamodb, lockfile, both]
    default: both
  state:
    description: C(info) reads, C(rollback) writes version O(version_id) as the newest state.
    type: str
    choices: [info, rollback]
    default: info
  version_id:
    description: The S3 version to roll back to (O(state=rollback)).
    type: str
  versions:
    description: With O(state=info), list every version of the state (reads each one).
    type: bool
    default: false
  bucket_stats:
    description: With O(state=info), count and size every object version in the bucket.
    type: bool
    default: false
notes:
  - "IAM actions needed: C(s3:GetObject), C(s3:GetObjectVersion), C(s3:ListBucketVersions); for a rollback also
    C(s3:PutObject), C(s3:DeleteObject) (the C(.tflock)), C(dynamodb:PutItem), C(dynamodb:DeleteItem)."
  - In check mode a rollback is checked (version, lineage) and reported, and nothing is written.
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
- name: List the stateful state's versions
  strata.aws.terraform_state:
    bucket: strata-tfstate-123456789012
    key: dev/stateful/terraform.tfstate
    versions: true
  register: state

- name: Roll the stateful state back to an earlier version
  strata.aws.terraform_state:
    bucket: strata-tfstate-123456789012
    key: dev/stateful/terraform.tfstate
    lock_table: strata-tfstate-lock
    lock_mode: both
    state: rollback
    version_id: 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY
"""

RETURN = r"""
bucket_exists:
  description: Whether the state bucket exists (a missing state in an existing bucket is a layer never deployed, or removed).
  returned: state is info
  type: bool
current:
  description: >-
    The current state: version_id, serial, lineage, resources (managed resource count), addresses,
    terraform_version, last_modified, size; null when the state does not exist.
  returned: state is info
  type: dict
versions:
  description: Every version of the state, newest first (as RV(current), with is_latest); empty unless O(versions).
  returned: state is info
  type: list
  elements: dict
delete_markers:
  description: Delete markers of the state's key.
  returned: state is info
  type: int
stats:
  description: The bucket's versions, delete_markers, bytes (all versions), current_objects, current_bytes and exists.
  returned: when bucket_stats
  type: dict
target:
  description: The version rolled back to (serial, lineage, resources, addresses, version_id, last_modified).
  returned: state is rollback
  type: dict
previous:
  description: The version that was current before the rollback.
  returned: state is rollback
  type: dict
serial:
  description: The serial of the state written (the previous current serial plus one).
  returned: state is rollback
  type: int
new_version_id:
  description: The S3 version written (null in check mode).
  returned: state is rollback
  type: str
versions_before:
  description: Versions of the state before the rollback.
  returned: state is rollback
  type: int
versions_after:
  description: Versions of the state after the rollback (one more; none is deleted).
  returned: state is rollback and not check mode
  type: int
lock_id:
  description: The ID of the lock held while writing.
  returned: state is rollback
  type: str
"""

from ansible_collections.strata.aws.plugins.module_utils import terraform_state as ts
from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run
from ansible_collections.strata.aws.plugins.module_utils.terraform_lock import STATE_OPTIONS
from ansible_collections.strata.aws.plugins.module_utils.terraform_lock_mode import bucket_exists


def manage(module):
    params = module.params
    s3 = client(module, "s3")
    if params["state"] == "rollback":
        if not params["version_id"]:
            module.fail_json(msg="version_id is required with state=rollback")
        if params["lock_mode"] != "lockfile" and not params["lock_table"]:
            module.fail_json(msg=f"lock_table is required with lock_mode {params['lock_mode']}")
        return ts.rollback(s3, client(module, "dynamodb"), params["bucket"], params["key"], params["lock_table"],
                           params["lock_mode"], params["version_id"], check_mode=module.check_mode)
    current = ts.current(s3, params["bucket"], params["key"])
    result = {"changed": False, "current": current, "versions": [], "delete_markers": 0,
              "bucket_exists": current is not None or bucket_exists(s3, params["bucket"])}
    if params["versions"]:
        result["versions"], result["delete_markers"] = ts.list_versions(s3, params["bucket"], params["key"])
    if params["bucket_stats"]:
        result["stats"] = ts.bucket_stats(s3, params["bucket"])
    return result


def main():
    run(
        {
            **STATE_OPTIONS,
            "lock_table": {"type": "str"},
            "lock_mode": {"type": "str", "choices": ["dynamodb", "lockfile", "both"], "default": "both"},
            "state": {"type": "str", "choices": ["info", "rollback"], "default": "info"},
            "version_id": {"type": "str"},
            "versions": {"type": "bool", "default": False},
            "bucket_stats": {"type": "bool", "default": False},
        },
        manage,
    )


if __name__ == "__main__":
    main()
