#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: plan and apply (or destroy, or read) one Terraform working copy."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: terraform_run
short_description: Plan and apply, plan and destroy, or read one Terraform working copy
description:
  - Runs C(terraform init) only when the working copy's backend, provider lock file or module
    calls changed since its last successful init (a fingerprint kept in C(.terraform)).
  - Saves one plan (C(strata.tfplan) in the working copy), reads it with C(terraform show -json)
    and applies exactly that plan, only when it changes something. The plan file is removed
    afterwards whatever happens.
  - In check mode it plans and reports, and applies nothing.
  - With O(state=read) it reads the state only (outputs and resources), changing nothing.
  - Unlike M(community.general.terraform) it runs no C(validate), C(workspace) or C(output)
    commands; a no-op run costs one C(plan) and one C(state pull) (a plan that changes something is read
    with C(show -json)).
version_added: 0.1.0
author: strata maintainers (@strata-deploy)
options:
  project_path:
    description: The working copy (a directory holding the configuration and C(backend.tf)).
    type: path
    required: true
  layer:
    description: The layer's name, used in messages and the report line.
    type: str
    required: true
  state:
    description:
      - C(present) applies, C(absent) destroys, C(read) only reads the state.
      - C(drift) runs a refresh-only plan and reports in RV(drift) what changed outside Terraform; nothing is applied.
      - C(migrate) moves the state to the backend C(backend.tf) now names (C(init -migrate-state -force-copy)),
        without a prompt.
      - C(plan) saves the plan at O(plan_out) (a plan bundle) and returns in RV(bundle) the state's serial and
        lineage and the sha256 of the plan file and of the inputs. Nothing is applied, in check mode or not.
      - C(apply_plan) applies the reviewed plan (C(plan_path) in O(plan_expect)) exactly, after checking, before anything
        is touched, its sha256, the state's serial and lineage and the inputs against O(plan_expect); it fails with
        a message that says which one differs otherwise. In check mode it only checks.
    type: str
    choices: [present, absent, read, migrate, drift, plan, apply_plan]
    default: present
  binary_path:
    description: The terraform binary.
    type: path
    default: terraform
  lock_timeout:
    description: Seconds to wait for the state lock.
    type: int
    default: 300
  force_init:
    description: Run C(terraform init) even when the fingerprint says it is not needed.
    type: bool
    default: false
  source_dir:
    description:
      - The layer's directory. Its C(*.tf) files (symlinks followed) and C(.terraform.lock.hcl) are
        brought into O(project_path) first, in one step, and C(*.tf) files it no longer has are removed.
        Overrides (C(*_override.tf)), state, plans and C(.terraform) are never copied, nor C(backend.tf).
    type: path
  modules_dir:
    description: A directory of local modules, mirrored to C(<project_path>/../modules) so that C(../modules/<name>) resolves.
    type: path
  environment:
    description:
      - Extra environment variables for Terraform, such as credentials. Never logged, unlike the task's
        C(environment) keyword, which Ansible writes into the command line it shows at C(-vvv).
    type: dict
    default: {}
  guard_data:
    description:
      - Refuse, before applying anything, a plan that destroys or replaces a table or bucket (resources
        that hold data, C(aws_dynamodb_table) and C(aws_s3_bucket)), naming each by address with the reason
        Terraform gives. Default on for O(state=present), off otherwise (a destroy is guarded by its callers).
      - Check mode refuses the same way.
    type: bool
  allow_replace:
    description: Addresses of data-holding resources the plan may destroy or replace (the caller backed them up).
    type: list
    elements: str
    default: []
  targets:
    description: Limit the plan to these resource addresses (C(-target)); empty plans everything.
    type: list
    elements: str
    default: []
  files:
    description:
      - Files strata generates for the working copy, a dict of file name to text (C(backend.tf), the input variables), written
        into O(project_path) (created if missing) when their bytes differ, also in check mode (the working copy is
        scratch that a plan needs). Names only, no directories. Never put credentials here.
    type: dict
  ahead:
    description:
      - Later layers to plan side by side with this one's plan (O(state=present) with O(ahead_id) only), each in
        its working copy as an earlier run left it. Their own runs later in the same playbook use such a plan
        (O(ahead_id), O(ahead_ok)) when their working copy did not change and the plan changes nothing, or in check
        mode. A layer that cannot be planned yet is skipped silently and plans in its own turn.
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
  plan_out:
    description: With O(state=plan), where to save the plan file.
    type: path
  plan_expect:
    description:
      - With O(state=apply_plan), the layer's entry of the plan bundle's manifest (C(sha256), C(serial), C(lineage),
        C(inputs_sha256), C(changes)) and C(plan_path), the plan file. A plan that changes nothing is not applied.
    type: dict
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
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
notes:
  - Terraform reads its credentials and endpoint from the environment; pass them with O(environment)
    (never logged), not with the task's C(environment) keyword.
"""

EXAMPLES = r"""
- name: Apply the stateful layer
  strata.deploy.terraform_run:
    project_path: "{{ work_dir }}/stateful"
    layer: stateful
  register: run

- name: Show what it did
  ansible.builtin.debug:
    msg: "{{ run.line }}"
"""

RETURN = r"""
changed:
  description: Whether the plan changes anything (and, outside check mode, was applied).
  returned: always
  type: bool
action:
  description: C(plan) (check mode), C(apply), C(destroy), C(read), C(drift) or C(migrate).
  returned: always
  type: str
summary:
  description: >-
    What the plan does, from Terraform's JSON: C(add), C(change), C(destroy) (a replacement counts
    once in each of add and destroy, as Terraform counts), C(replace), C(changes) (address, type,
    action, reason, replace_paths of each changed resource), C(data_loss) (the changes that delete
    or replace a table or bucket, with its name and why) and C(prior_resources).
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
line:
  description: One line for a summary.
  sample: "stateful: apply 0 to add, 0 to change, 0 to destroy (7.9 s)"
  returned: always
  type: str
seconds:
  description: Wall time of the run.
  returned: always
  type: float
synced:
  description: Configuration files brought into the working copy (or removed from it) by this run.
  returned: always
  type: list
  elements: str
initialised:
  description: Whether C(terraform init) ran.
  returned: always
  type: bool
drift:
  description: With O(state=drift), each resource changed outside Terraform (address, type, action, attributes).
  returned: when state is drift
  type: list
  elements: dict
locked:
  description: On failure, whether it failed because another run holds the state lock (retry later).
  returned: failure
  type: bool
lock:
  description: >-
    When RV(locked), the lock Terraform met, as its "Lock Info" gives it: C(id), C(who), C(operation),
    C(created) and C(path) (null where Terraform did not say).
  returned: when locked
  type: dict
planned_ahead:
  description: Whether this run used a plan made ahead (O(ahead_id)) instead of planning itself.
  returned: when O(state=present) or O(state=absent)
  type: bool
ahead:
  description: >-
    For each layer of O(ahead): C(layer), C(id), C(rc) (the plan's exit code: 0 no change, 2 changes; null when
    it was not planned), C(seconds), C(fingerprint), and C(skipped) with the reason when it was not planned.
  returned: when O(ahead) planned layers
  type: list
  elements: dict
bundle:
  description: >-
    With O(state=plan): C(layer), C(plan_file), C(sha256), C(serial) and C(lineage) of the state planned against
    (null without state), C(inputs_sha256) and C(changes) (whether the plan changes anything).
  returned: when O(state=plan)
  type: dict
bundle_refused:
  description: On failure, whether a reviewed plan was refused (altered, state moved on, inputs differ).
  returned: failure
  type: bool
commands:
  description: The Terraform commands run, in order (first word only).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.strata.deploy.plugins.module_utils.terraform_run import TerraformError, run


def main():
    module = AnsibleModule(
        argument_spec={
            "project_path": {"type": "path", "required": True},
            "layer": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent", "read", "migrate", "drift", "plan", "apply_plan"], "default": "present"},
            "environment": {"type": "dict", "default": {}, "no_log": True},
            "binary_path": {"type": "path", "default": "terraform"},
            "lock_timeout": {"type": "int", "default": 300},
            "force_init": {"type": "bool", "default": False},
            "targets": {"type": "list", "elements": "str", "default": []},
            "guard_data": {"type": "bool"},
            "allow_replace": {"type": "list", "elements": "str", "default": []},
            "source_dir": {"type": "path"},
            "modules_dir": {"type": "path"},
            "ahead": {"type": "list", "elements": "dict", "default": [], "options": {
                "layer": {"type": "str", "required": True},
                "work_dir": {"type": "path", "required": True},
                "source_dir": {"type": "path"}}},
            "files": {"type": "dict"},
            "ahead_id": {"type": "str", "default": ""},
            "plan_out": {"type": "path"},
            "plan_expect": {"type": "dict"},
            "ahead_ok": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    params = module.params

    def execute(argv, cwd=None):
        # Called from several threads when layers plan side by side: run_command passes cwd and
        # the environment to the child process only, never changing this process's own.
        environ = {str(key): str(value) for key, value in params["environment"].items()}
        return module.run_command(argv, cwd=cwd or params["project_path"], environ_update=dict(environ, TF_IN_AUTOMATION="1"))

    try:
        result = run(execute, params["binary_path"], params["project_path"], params["layer"],
                     state=params["state"], check_mode=module.check_mode,
                     lock_timeout=params["lock_timeout"], force_init=params["force_init"],
                     targets=params["targets"], source_dir=params["source_dir"],
                     modules_dir=params["modules_dir"], guard_data=params["guard_data"],
                     allow_replace=params["allow_replace"], ahead=params["ahead"],
                     ahead_id=params["ahead_id"], ahead_ok=params["ahead_ok"], files=params["files"],
                     plan_out=params["plan_out"], plan_expect=params["plan_expect"])
    except TerraformError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
