#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: save a layer's plan for review, or apply exactly a reviewed plan."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: terraform_plan_file
short_description: Save a Terraform layer's plan for review, or apply exactly the reviewed plan
description:
  - The layer's part of a plan bundle (see M(strata.deploy.plan_bundle), which writes and verifies the
    bundle's manifest).
  - With O(state=saved) it saves the layer's plan at O(plan_file) (mode 0600) and returns in RV(bundle) what a
    later apply must find unchanged, that is the serial and lineage of the state it was planned against and the sha256
    of the plan file and of its inputs (configuration, modules, input variables, backend, provider lock file and
    Terraform version). Nothing is applied, in check mode or not.
  - With O(state=applied) it applies the reviewed O(plan_file) exactly, after checking, before anything is
    touched, its sha256, the state's serial and lineage and the inputs against O(expect), and the data guard
    (O(allow_replace)); it fails with a message that says which one differs otherwise. A plan that changes
    nothing is not applied (the state keeps its serial). In check mode it only checks.
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  state:
    description: C(saved) plans into O(plan_file); C(applied) applies the reviewed O(plan_file).
    type: str
    choices: [saved, applied]
    default: saved
  plan_file:
    description: The plan file in the bundle (written with O(state=saved), read with O(state=applied)).
    type: path
    required: true
  expect:
    description:
      - With O(state=applied), the layer's entry of the bundle's manifest as it was reviewed (C(plan_file),
        C(sha256), C(serial), C(lineage), C(inputs_sha256), C(changes)); other keys are ignored.
    type: dict
extends_documentation_fragment:
  - strata.deploy.terraform
  - strata.deploy.terraform.data_guard
  - strata.deploy.terraform.working_copy
  - ansible.builtin.action_common_attributes
  - strata.deploy.attributes
attributes:
  check_mode:
    details: With O(state=saved) the plan file is written in check mode too; with O(state=applied) check mode only checks.
"""

EXAMPLES = r"""
- name: Save the stateful layer's plan into the bundle
  strata.deploy.terraform_plan_file:
    project_path: "{{ work_root }}/stateful"
    layer: stateful
    plan_file: "{{ bundle_dir }}/stateful.tfplan"
  register: saved

- name: Apply the reviewed plan once its manifest is verified
  strata.deploy.terraform_plan_file:
    project_path: "{{ work_root }}/stateful"
    layer: stateful
    state: applied
    plan_file: "{{ bundle_dir }}/{{ manifest.layers.stateful.plan_file }}"
    expect: "{{ manifest.layers.stateful }}"
"""

RETURN = r"""
bundle:
  description: >-
    With O(state=saved): C(layer), C(plan_file), C(sha256), C(serial) and C(lineage) of the state planned against
    (null without state), C(inputs_sha256) and C(changes) (whether the plan changes anything), for the manifest.
  returned: when O(state=saved)
  type: dict
applied:
  description: Whether the reviewed plan was applied.
  returned: always
  type: bool
changed:
  description: With O(state=applied), whether the reviewed plan changes anything; false with O(state=saved).
  returned: always
  type: bool
action:
  description: C(plan) (O(state=saved), or check mode) or C(apply).
  returned: always
  type: str
summary:
  description: What the plan does (see RV(strata.deploy.terraform_apply#module:summary)).
  returned: always
  type: dict
outputs:
  description: Output name to value as planned, or after the apply.
  returned: always
  type: dict
resources:
  description: Managed resources in the state planned against, or after the apply.
  returned: always
  type: list
  elements: dict
line:
  description: The layer's summary line.
  sample: "stateful: plan 0 to add, 1 to change, 0 to destroy (5.2 s)"
  returned: always
  type: str
bundle_refused:
  description: On failure, whether the reviewed plan was refused (altered, state moved on, inputs differ).
  returned: failure
  type: bool
expected:
  description: On a refusal, the C(sha256), C(serial), C(lineage) and C(inputs_sha256) the manifest holds.
  returned: failure
  type: dict
found:
  description: On a refusal, the same four as they are now.
  returned: failure
  type: dict
synced:
  description: Files brought into the working copy before the plan.
  returned: always
  type: list
  elements: str
initialised:
  description: Whether init ran.
  returned: always
  type: bool
seconds:
  description: Wall time.
  returned: always
  type: float
commands:
  description: Terraform commands run, first word only.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.strata.deploy.plugins.module_utils import plan_bundle_jobs as bundle
from ansible_collections.strata.deploy.plugins.module_utils.terraform_module import DATA_GUARD_OPTIONS, run


def save_or_apply(tf, params, check_mode):
    if params["state"] == "saved":
        return bundle.save(tf, params["plan_file"])
    return bundle.apply_reviewed(tf, params["plan_file"], params["expect"], params["allow_replace"], check_mode)


def main():
    run(
        dict(DATA_GUARD_OPTIONS, **{
            "state": {"type": "str", "choices": ["saved", "applied"], "default": "saved"},
            "plan_file": {"type": "path", "required": True},
            "expect": {"type": "dict"},
        }),
        save_or_apply,
        required_if=[("state", "applied", ["expect"])],
    )


if __name__ == "__main__":
    main()
