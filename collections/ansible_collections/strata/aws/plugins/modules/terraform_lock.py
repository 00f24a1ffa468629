#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: show or release the locks on a Terraform S3-backend state."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: terraform_lock
short_description: Show or release the locks on a Terraform S3-backend state
description:
  - Reads every lock on the state O(bucket)/O(key), wherever the S3 backend keeps it - the
    DynamoDB lock table's item C(LockID=<bucket>/<key>) (attribute C(Info)) and the S3 object
    C(<key>.tflock) - and groups what it finds by lock ID, so a lock held in one place only
    (a run that died half-way through taking or releasing the locks of lock mode C(both)) shows too.
  - With O(state=absent) it releases the lock whose ID is O(lock_id) in every place holding
    it, and refuses (changing nothing) when no lock of that ID is held, naming the locks that are.
    The lock table's item is deleted only while it still holds that ID.
  - The digest item C(<bucket>/<key>-md5) in the same table is not a lock and is never touched.
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  bucket:
    description: The state bucket, which also holds the C(<key>.tflock) lock object (lock modes C(lockfile), C(both)).
    type: str
    required: true
  key:
    description: The state object's key, for example C(dev/stateful/terraform.tfstate).
    type: str
    required: true
  lock_table:
    description: The DynamoDB lock table. Unset looks at the C(.tflock) object only.
    type: str
  state:
    description:
      - C(info) reports the locks and changes nothing.
      - C(absent) releases the lock O(lock_id).
    type: str
    choices: [info, absent]
    default: info
  lock_id:
    description:
      - The ID of the lock to release (O(state=absent)). A lock whose content is not Terraform's
        JSON has no readable ID and is released with V(unreadable).
    type: str
  layer:
    description: The layer's name, for messages.
    type: str
    default: state
notes:
  - "IAM actions needed: C(dynamodb:GetItem), C(dynamodb:DeleteItem) on the lock table; C(s3:GetObject),
    C(s3:DeleteObject) on C(<key>.tflock)."
  - In check mode O(state=absent) reports what it would release and releases nothing.
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
- name: Show the locks on the stateful state
  strata.aws.terraform_lock:
    bucket: strata-tfstate-123456789012
    key: dev/stateful/terraform.tfstate
    lock_table: strata-tfstate-lock
  register: locks

- name: Release the stale lock, in the table and the .tflock object alike
  strata.aws.terraform_lock:
    bucket: strata-tfstate-123456789012
    key: dev/stateful/terraform.tfstate
    lock_table: strata-tfstate-lock
    state: absent
    lock_id: 8d6e6c0e-3c9a-4f1e-9a0b-2f0c1d2e3f40
"""

RETURN = r"""
locks:
  description: >-
    The locks held before the run, one per lock ID: id, who, operation, info, version, path, created
    (Terraform's time), age_seconds, age (for example C(12m 5s)) and held_in (C(dynamodb), C(lockfile)
    or both).
  returned: always
  type: list
  elements: dict
released:
  description: The places the lock was released from (C(dynamodb), C(lockfile)); empty with O(state=info).
  returned: always
  type: list
  elements: str
lines:
  description: One line per lock, naming its ID, operation, holder, creation time, age and places.
  returned: always
  type: list
  elements: str
  sample:
    - "stateful lock 8d6e6c0e-3c9a-4f1e-9a0b-2f0c1d2e3f40: OperationTypeApply by runner@ci, created
      2026-11-23T10:00:00.123456789Z (12m 5s ago), held in the lock table and the .tflock object"
"""

from ansible_collections.strata.aws.plugins.module_utils import terraform_lock as tl
from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run


def manage(module):
    params = module.params
    s3, ddb = client(module, "s3"), client(module, "dynamodb")
    locks = tl.read_locks(s3, ddb, params["bucket"], params["key"], params["lock_table"])
    lines = [tl.describe_line(params["layer"], lock) for lock in locks]
    result = {"locks": locks, "released": [], "lines": lines, "changed": False}
    if params["state"] == "absent":
        if not params["lock_id"]:
            module.fail_json(msg="lock_id is required with state=absent", **result)
        lock = tl.choose_release(params["layer"], locks, params["lock_id"])
        if module.check_mode:
            result["released"] = list(lock["held_in"])
        else:
            result["released"] = tl.release(s3, ddb, params["bucket"], params["key"], params["lock_table"], lock)
        result["changed"] = bool(result["released"])
    return result


def main():
    run(
        {
            **tl.STATE_OPTIONS,
            "lock_table": {"type": "str"},
            "state": {"type": "str", "choices": ["info", "absent"], "default": "info"},
            "lock_id": {"type": "str"},
            "layer": {"type": "str", "default": "state"},
        },
        manage,
    )


if __name__ == "__main__":
    main()
