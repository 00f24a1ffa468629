#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: read, check and record the lock mode of Terraform states in the state bucket."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: terraform_lock_mode
short_description: Read, check and record the lock mode of Terraform S3-backend states
description:
  - Each state O(states[].key) in O(bucket) has its lock mode (C(dynamodb), C(lockfile) or C(both))
    recorded in the object C(<key>.lock-mode) of the same bucket, which every machine reads.
  - With O(state=info) it reads the records and reports, per state, the mode a run must lock with
    (C(run_mode)) - the recorded mode, or O(target) when none is recorded yet - and fails, changing
    nothing, when a state would move between C(dynamodb) and C(lockfile) without passing through
    C(both) (the two share no lock). With O(check_removal=locks) it also fails, naming them, when the
    lock table O(lock_table) holds any lock item (the digest items C(<bucket>/<key>-md5) are not
    locks); with O(check_removal=all) also when a state in the bucket is not recorded C(lockfile).
  - With O(state=info) it also tells whether the bucket exists (C(bucket_exists)) and, per state,
    whether its object is in the bucket (C(exists)), so the bootstrap layer learns where its state
    lives from this one call. A bucket these credentials may not read (HTTP 403) fails the module.
  - With O(state=present) it records O(target) for every state in O(states); going to C(lockfile)
    while the table exists, it deletes the state's digest item, which nothing keeps current any more.
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  bucket:
    description: The state bucket, where each state's lock mode is recorded (the object C(<key>.lock-mode)).
    type: str
    required: true
  lock_table:
    description: The DynamoDB lock table (it may not exist).
    type: str
    required: true
  target:
    description: The lock mode the inventory asks for.
    type: str
    choices: [dynamodb, lockfile, both]
    required: true
  states:
    description: The states to read or record.
    type: list
    elements: dict
    default: []
    suboptions:
      layer:
        description: The layer's name, for messages.
        type: str
        required: true
      key:
        description: The state object's key.
        type: str
        required: true
  state:
    description: C(info) reads and checks; C(present) records O(target).
    type: str
    choices: [info, present]
    default: info
  check_removal:
    description:
      - With O(state=info), also check that the lock table may be removed.
      - C(locks) refuses while it holds a lock item; C(all) also while a state in the bucket is not recorded C(lockfile).
    type: str
    choices: ['no', locks, all]
    default: 'no'
  command:
    description: The deploy command of the environment, quoted in messages as what to run next.
    type: str
    default: ansible-playbook playbooks/deploy.yml
notes:
  - "IAM actions needed: C(s3:GetObject), C(s3:PutObject), C(s3:ListBucket) on the state bucket;
    C(dynamodb:DescribeTable), C(dynamodb:Scan), C(dynamodb:DeleteItem) on the lock table."
  - In check mode O(state=present) reports what it would record and writes nothing.
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
- name: The lock mode each layer's run uses
  strata.aws.terraform_lock_mode:
    bucket: strata-tfstate-123456789012
    lock_table: strata-tfstate-lock
    target: lockfile
    states:
      - {layer: stateful, key: dev/stateful/terraform.tfstate}
  register: lock_mode

- name: Record the new mode once the layer is re-initialised
  strata.aws.terraform_lock_mode:
    bucket: strata-tfstate-123456789012
    lock_table: strata-tfstate-lock
    target: lockfile
    state: present
    states:
      - {layer: stateful, key: dev/stateful/terraform.tfstate}
"""

RETURN = r"""
states:
  description:
    - Per state - layer, key, recorded (null when none), target, run_mode, changing (recorded differs from target).
    - With O(state=info) also exists (the state object is in the bucket).
  returned: always
  type: list
  elements: dict
bucket_exists:
  description: With O(state=info), whether the bucket exists (null with O(state=present)).
  returned: always
  type: bool
lock_table_exists:
  description: Whether the lock table exists.
  returned: always
  type: bool
lock_items:
  description: With O(check_removal), the lock items of the table (lock_id, id, who, operation, created).
  returned: always
  type: list
  elements: dict
digests_deleted:
  description: With O(state=present), the keys whose digest item was deleted.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.strata.aws.plugins.module_utils import terraform_lock_mode as lm
from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run


def manage(module):
    params = module.params
    s3, ddb = client(module, "s3"), client(module, "dynamodb")
    bucket, table, target = params["bucket"], params["lock_table"], params["target"]
    info = params["state"] == "info"
    exists = lm.table_exists(ddb, table)
    result = {"changed": False, "states": [], "lock_table_exists": exists, "lock_items": [], "digests_deleted": [],
              "bucket_exists": lm.bucket_exists(s3, bucket) if info else None}
    for entry in params["states"]:
        recorded = lm.read_record(s3, bucket, entry["key"])
        state_url = f"s3://{bucket}/{entry['key']}"
        mode = lm.run_mode(entry["layer"], recorded, target, state_url, params["command"]) if info else target
        result["states"].append({"layer": entry["layer"], "key": entry["key"], "recorded": recorded,
                                 "target": target, "run_mode": mode, "changing": recorded != target})
        if info:
            result["states"][-1]["exists"] = result["bucket_exists"] and lm.object_exists(s3, bucket, entry["key"])
    if info and params["check_removal"] != "no":
        result["lock_items"] = lm.lock_items(lm.scan_table(ddb, table), bucket + "/") if exists else []
        not_lockfile = []
        if params["check_removal"] == "all":
            not_lockfile = [(key, lm.read_record(s3, bucket, key)) for key in lm.bucket_states(s3, bucket)]
            not_lockfile = [(key, mode) for key, mode in not_lockfile if mode != "lockfile"]
        refusal = lm.removal_refusal(table, result["lock_items"], not_lockfile, params["command"])
        if refusal:
            module.fail_json(msg=refusal, **result)
    if params["state"] == "present":
        for entry in result["states"]:
            if not entry["changing"]:
                continue
            result["changed"] = True
            if module.check_mode:
                continue
            lm.write_record(s3, bucket, entry["key"], target)
            if target == "lockfile" and exists and lm.delete_digest(ddb, table, bucket, entry["key"]):
                result["digests_deleted"].append(entry["key"])
    return result


def main():
    run(
        {
            "bucket": {"type": "str", "required": True},
            "lock_table": {"type": "str", "required": True},
            "target": {"type": "str", "required": True, "choices": ["dynamodb", "lockfile", "both"]},
            "states": {"type": "list", "elements": "dict", "default": [],
                       "options": {"layer": {"type": "str", "required": True},
                                   "key": {"type": "str", "required": True, "no_log": False}}},
            "state": {"type": "str", "choices": ["info", "present"], "default": "info"},
            "check_removal": {"type": "str", "choices": ["no", "locks", "all"], "default": "no"},
            "command": {"type": "str", "default": "ansible-playbook playbooks/deploy.yml"},
        },
        manage,
    )


if __name__ == "__main__":
    main()
