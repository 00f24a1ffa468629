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
    description:
      - The state object's key, for example C(dev/stateful/terraform.tfstate).
      - One of O(key) and O(states) is required.
    type: str
  layer:
    description: The layer's name of O(key), for messages.
    type: str
    default: state
  states:
    description:
      - Several states to look at in one call, for example every state of an environment; each lock
        returned names its C(layer) and C(key). Instead of O(key).
    type: list
    elements: dict
    suboptions:
      layer:
        description: The layer's name.
        type: str
        required: true
      key:
        description: The state object's key.
        type: str
        required: true
  lock_table:
    description: The DynamoDB lock table. Unset looks at the C(.tflock) object only.
    type: str
  state:
    description:
      - C(info) reports the locks and changes nothing.
      - C(absent) releases the locks O(lock_ids) (or O(lock_id)).
    type: str
    choices: [info, absent]
    default: info
  lock_id:
    description:
      - The ID of the lock to release (O(state=absent)). A lock whose content is not Terraform's
        JSON has no readable ID and is released with V(unreadable).
    type: str
  lock_ids:
    description:
      - Several IDs to release at once (O(state=absent)), instead of O(lock_id). Every one must be
        held on the states looked at, or nothing is released.
    type: list
    elements: str
  command:
    description:
      - The command line of the unlock playbook with its inventory, for example
        C(ansible-playbook playbooks/unlock.yml -i inventories/dev). With it each lock gets the exact
        command that releases it (C(command) in RV(locks)) and RV(held_lines) says so.
    type: str
  env:
    description: The environment's name, for RV(held_lines).
    type: str
    default: the environment
  met:
    description:
      - The lock a run met and waited for, to say so in RV(held_lines) with the command that releases it and
        the other locks held (with O(command)).
    type: dict
    suboptions:
      layer:
        description: The layer whose state the run could not lock.
        type: str
        required: true
      id:
        description: The ID of the lock it met (as Terraform's "Lock Info" gave it).
        type: str
      waited:
        description: How long the run waited for the lock, in seconds.
        type: int
        default: 0
notes:
  - "IAM actions needed: C(dynamodb:GetItem), C(dynamodb:DeleteItem) on the lock table; C(s3:GetObject),
    C(s3:DeleteObject) on C(<key>.tflock)."
  - In check mode O(state=absent) reports what it would release and releases nothing.
  - The bootstrap state (C(bootstrap/terraform.tfstate)) is shared by every environment of the account.
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

- name: Show every lock held on the states of dev, each with the command that releases it
  strata.aws.terraform_lock:
    bucket: strata-tfstate-123456789012
    states:
      - {layer: bootstrap, key: bootstrap/terraform.tfstate}
      - {layer: stateful, key: dev/stateful/terraform.tfstate}
      - {layer: stateless, key: dev/stateless/terraform.tfstate}
    lock_table: strata-tfstate-lock
    command: ansible-playbook playbooks/unlock.yml -i inventories/dev
    env: dev
  register: held

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
    The locks held before the run, one per lock ID and state: id, who, operation, info, version, path, created
    (Terraform's time), age_seconds, age (for example C(12m 5s)), held_in (C(dynamodb), C(lockfile) or both),
    layer, key, and with O(command) the command that releases it.
  returned: always
  type: list
  elements: dict
released:
  description: The places locks were released from (C(dynamodb), C(lockfile)); empty with O(state=info).
  returned: always
  type: list
  elements: str
released_locks:
  description: Each lock released (or, in check mode, that would be), with its layer, key, id and held_in.
  returned: always
  type: list
  elements: dict
lines:
  description: One line per lock, naming its layer, ID, operation, holder, creation time, age and places.
  returned: always
  type: list
  elements: str
  sample:
    - "stateful lock 8d6e6c0e-3c9a-4f1e-9a0b-2f0c1d2e3f40: OperationTypeApply by runner@ci, created
      2026-11-23T10:00:00.123456789Z (12m 5s ago), held in the lock table and the .tflock object"
released_lines:
  description: With O(state=absent), one line per lock released (or that would be, in check mode), naming where it was held.
  returned: when O(state=absent)
  type: list
  elements: str
held_lines:
  description: >-
    With O(command): what a person reads about the locks held, one line per lock ending with the command
    that releases it, and for several locks the one command that releases them all; with O(met), what a
    run that met a held lock says (who holds it, what to do, the other locks held).
  returned: when O(command) is given
  type: list
  elements: str
"""

from ansible_collections.strata.aws.plugins.module_utils import terraform_lock as tl
from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run


def manage(module):
    params = module.params
    s3, ddb = client(module, "s3"), client(module, "dynamodb")
    states = params["states"] or [{"layer": params["layer"], "key": params["key"]}]
    locks = tl.read_states_locks(s3, ddb, params["bucket"], states, params["lock_table"])
    if params["command"]:
        locks = tl.with_commands(locks, params["command"])
    result = {"locks": locks, "released": [], "released_locks": [], "changed": False,
              "lines": [tl.describe_line(lock["layer"], lock) for lock in locks]}
    single = None if params["states"] else {"layer": params["layer"], "bucket": params["bucket"], "key": params["key"]}
    if params["command"] and params["met"]:
        met = params["met"]
        result["held_lines"] = tl.met_lines(params["env"], met["layer"], met["id"], met["waited"], locks, params["command"])
    elif params["command"]:
        result["held_lines"] = tl.held_lines(params["env"], locks, params["command"], single)
    if params["state"] == "absent":
        lock_ids = params["lock_ids"] or ([params["lock_id"]] if params["lock_id"] else [])
        if not lock_ids:
            module.fail_json(msg="lock_id or lock_ids is required with state=absent", **result)
        scope = f"{params['layer']} state" if not params["states"] else f"states of {params['env']}"
        chosen = tl.choose_releases(locks, lock_ids, scope)
        for lock in chosen:
            places = list(lock["held_in"]) if module.check_mode else \
                tl.release(s3, ddb, params["bucket"], lock["key"], params["lock_table"], lock)
            result["released_locks"].append({"layer": lock["layer"], "key": lock["key"], "id": lock["id"], "held_in": places})
            result["released"] += [place for place in places if place not in result["released"]]
        result["changed"] = bool(result["released_locks"])
        result["released_lines"] = tl.released_lines(params["env"], result["released_locks"], module.check_mode)
    return result


def main():
    run(
        {
            **tl.STATE_OPTIONS,
            # One state (key, layer) or several (states).
            "key": {"type": "str", "no_log": False},  # an object's key, not a secret
            "layer": {"type": "str", "default": "state"},
            "states": {"type": "list", "elements": "dict", "options": {
                "layer": {"type": "str", "required": True},
                "key": {"type": "str", "required": True, "no_log": False}}},
            "lock_table": {"type": "str"},
            "state": {"type": "str", "choices": ["info", "absent"], "default": "info"},
            "lock_id": {"type": "str"},
            "lock_ids": {"type": "list", "elements": "str"},
            "command": {"type": "str"},
            "env": {"type": "str", "default": "the environment"},
            "met": {"type": "dict", "options": {
                "layer": {"type": "str", "required": True},
                "id": {"type": "str"},
                "waited": {"type": "int", "default": 0}}},
        },
        manage,
        required_one_of=[("key", "states")],
        mutually_exclusive=[("key", "states"), ("lock_id", "lock_ids")],
    )


if __name__ == "__main__":
    main()
