#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: plan and apply, or plan and destroy, one Terraform working copy."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: terraform_apply
short_description: Plan and apply, or plan and destroy, one Terraform working copy
description:
  - Saves one plan (C(strata.tfplan) in the working copy), reads it with C(terraform show -json)
    and applies exactly that plan, only when it changes something. The plan file is removed
    afterwards whatever happens. In check mode it plans and reports, and applies nothing.
  - Before anything is applied, a plan that destroys or replaces a table or bucket holding data is
    refused (O(guard_data), O(allow_replace)).
  - Before applying, it journals in the working copy (C(.strata-creating.json)) the buckets, tables,
    roles, functions, log groups and permissions the plan creates, and removes the journal when the apply
    has ended. An apply killed after AWS created some of them, before Terraform saved them in the state,
    leaves the journal; the next apply imports the journaled objects it would create again with the same
    name (RV(adopted)), instead of stopping at "already exists", and creates those that do not exist.
  - Later layers may be planned side by side with this one (O(ahead)); their own runs then use those
    plans while nothing changed (O(ahead_id), O(ahead_ok)).
  - Unlike M(community.general.terraform) it runs no C(validate), C(workspace) or C(output)
    commands; a no-op run costs one C(plan) (the state it was made against is read from the plan
    file); a plan that changes something is read with C(show -json).
  - To read a state or look for drift use M(strata.deploy.terraform_info); to save or apply a reviewed
    plan, M(strata.deploy.terraform_plan_file); to move a state to another backend, M(strata.deploy.terraform_migrate).
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  state:
    description: C(present) plans and applies, C(absent) plans a destroy (C(-destroy)) and applies it.
    type: str
    choices: [present, absent]
    default: present
  force_init:
    description: Run C(terraform init) even when the fingerprint says it is not needed.
    type: bool
    default: false
  targets:
    description: Limit the plan to these resource addresses (C(-target)); empty plans everything.
    type: list
    elements: str
    default: []
  guard_data:
    description:
      - Refuse, before applying anything, a plan that destroys or replaces a table or bucket not named in
        O(allow_replace). Default on for O(state=present), off for O(state=absent) (a destroy is guarded by its
        callers, which back the data up first).
      - Check mode refuses the same way.
    type: bool
  ahead:
    description:
      - Later layers to plan side by side with this one's plan (O(state=present) with O(ahead_id) only), each in
        its working copy as an earlier run left it, without taking its lock (C(-lock=false)). Their own runs later
        in the same playbook use such a plan (O(ahead_id), O(ahead_ok)) when their working copy did not change and
        the plan changes nothing, or in check mode. A layer that cannot be planned yet is skipped silently and
        plans in its own turn.
    type: list
    elements: dict
    default: []
    suboptions:
      layer:
        description: The layer's name.
        type: str
        required: true
      work_dir:
        description: Its working copy.
        type: path
        required: true
      source_dir:
        description: Its configuration, brought into the working copy before the plan.
        type: path
  ahead_id:
    description: One value per playbook run that plans ahead; empty never uses or makes a plan ahead.
    type: str
    default: ''
  ahead_ok:
    description: False when something was applied since the plans ahead were made (they may be stale then).
    type: bool
    default: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - strata.deploy.attributes
  - strata.deploy.terraform
  - strata.deploy.terraform.working_copy
  - strata.deploy.terraform.data_guard
"""

EXAMPLES = r"""
- name: Apply the stateful layer, planning the stateless one beside it
  strata.deploy.terraform_apply:
    project_path: "{{ work_root }}/stateful"
    layer: stateful
    source_dir: "{{ playbook_dir }}/../terraform/stateful"
    modules_dir: "{{ playbook_dir }}/../terraform/modules"
    environment: "{{ terraform_credentials }}"
    ahead:
      - layer: stateless
        work_dir: "{{ work_root }}/stateless"
    ahead_id: "{{ run_id }}"
  register: stateful

- name: Destroy the stateless layer once its data is backed up
  strata.deploy.terraform_apply:
    project_path: "{{ work_root }}/stateless"
    layer: stateless
    state: absent

- name: Print what the apply did
  ansible.builtin.debug:
    msg: "{{ stateful.line }}"
"""

RETURN = r"""
changed:
  description: Whether the plan changes anything (and, outside check mode, was applied).
  returned: always
  type: bool
action:
  description: C(apply), C(destroy), or C(plan) in check mode.
  returned: always
  type: str
  sample: apply
applied:
  description: Whether a plan was applied in this run.
  returned: always
  type: bool
summary:
  description: >-
    What the plan does, from Terraform's JSON: C(add), C(change), C(destroy) (a replacement counts
    once in each of add and destroy, as Terraform counts), C(replace), C(move), C(forget) (resources
    a removed block takes out of the state, leaving them in AWS), C(changes) (address, type,
    action, reason, replace_paths of each changed resource), C(data_loss) (the changes that delete
    or replace a table or bucket, with its name and why), C(prior_resources) and C(outputs).
  returned: always
  type: dict
outputs:
  description: Output name to value, after the run (or as planned, in check mode).
  returned: always
  type: dict
resources:
  description: Managed resources in the state after the run (address, type, name of a table or bucket).
  returned: always
  type: list
  elements: dict
adopted:
  description: >-
    The objects (C(address), C(type), C(id)) an interrupted apply created before Terraform saved them in the
    state, which this apply imported instead of creating them again (see the module's notes).
  returned: when an interrupted apply's objects were adopted
  type: list
  elements: dict
planned_ahead:
  description: Whether this run used its plan made ahead (O(ahead_id)) instead of planning itself.
  returned: always
  type: bool
ahead:
  description: >-
    For each layer of O(ahead): C(layer), C(id), C(rc) (the plan's exit code: 0 no change, 2 changes; null when
    it was not planned), C(seconds), C(fingerprint), and C(skipped) with the reason when it was not planned.
  returned: when O(ahead) and O(ahead_id) are given
  type: list
  elements: dict
line:
  description: The layer's line in the deploy or teardown summary.
  sample: "stateful: apply 0 to add, 0 to change, 0 to destroy (7.9 s)"
  returned: always
  type: str
initialised:
  description: Whether C(terraform init) ran.
  returned: always
  type: bool
synced:
  description: Files brought into the working copy (or removed from it) before Terraform started.
  returned: always
  type: list
  elements: str
commands:
  description: The Terraform commands this layer ran, in order (first word only), the plans made ahead left out.
  returned: always
  type: list
  elements: str
seconds:
  description: Wall time of the run.
  returned: always
  type: float
data_loss:
  description: On a refusal by the data guard, each table or bucket the plan would destroy or replace.
  returned: failure
  type: list
  elements: dict
locked:
  description: On failure, whether it failed because another run holds the state lock (retry later).
  returned: failure
  type: bool
lock:
  description: When RV(locked), the lock Terraform met (C(id), C(who), C(operation), C(created), C(path)).
  returned: when locked
  type: dict
"""

from ansible_collections.strata.deploy.plugins.module_utils import terraform_jobs as jobs
from ansible_collections.strata.deploy.plugins.module_utils.terraform_module import DATA_GUARD_OPTIONS, run


def apply_or_destroy(tf, params, check_mode):
    guard_data = params["guard_data"] if params["guard_data"] is not None else params["state"] == "present"
    if params["state"] == "absent":
        return jobs.destroy(tf, check_mode, params["targets"], guard_data, params["allow_replace"])
    return jobs.apply(tf, check_mode, params["targets"], guard_data, params["allow_replace"],
                      params["ahead"], params["ahead_id"], params["ahead_ok"])


def main():
    run(
        dict(DATA_GUARD_OPTIONS, **{
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "force_init": {"type": "bool", "default": False},
            "targets": {"type": "list", "elements": "str", "default": []},
            "guard_data": {"type": "bool"},
            "ahead": {"type": "list", "elements": "dict", "default": [], "options": {
                "layer": {"type": "str", "required": True},
                "work_dir": {"type": "path", "required": True},
                "source_dir": {"type": "path"}}},
            "ahead_id": {"type": "str", "default": ""},
            "ahead_ok": {"type": "bool", "default": True},
        }),
        apply_or_destroy,
    )


if __name__ == "__main__":
    main()
