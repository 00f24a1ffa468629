#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: read one Terraform working copy's state, or what drifted from it."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: terraform_info
short_description: Read a Terraform state's outputs and resources, or what changed outside Terraform
description:
  - Reads the state of one working copy (C(terraform state pull)), its outputs and its managed resources,
    with the names of the tables and buckets among them. Whether a layer is deployed is read from its
    resources, never from its outputs (a destroy that died half-way leaves resources and no outputs).
  - With O(drift=true) it runs a refresh-only plan instead (C(terraform plan -refresh-only), the plan file
    removed afterwards) and reports in RV(drift) each resource changed or deleted outside Terraform.
  - It never changes anything in the state or in the cloud; it only brings the local working copy up to
    date and runs C(terraform init) when needed (for instance after C(backend.tf) changed).
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  drift:
    description: Run a refresh-only plan and report what changed outside Terraform, rather than read the state.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - strata.deploy.attributes
  - strata.deploy.terraform
  - strata.deploy.terraform.working_copy
"""

EXAMPLES = r"""
- name: Read the stateful layer's outputs
  strata.deploy.terraform_info:
    project_path: "{{ work_root }}/stateful"
    layer: stateful
  register: stateful

- name: Look for what changed outside Terraform
  strata.deploy.terraform_info:
    project_path: "{{ work_root }}/stateful"
    layer: stateful
    source_dir: "{{ playbook_dir }}/../terraform/stateful"
    drift: true
    lock_timeout: 60
  register: stateful_drift

- name: Name each drifted resource
  ansible.builtin.debug:
    msg: "{{ stateful_drift.drift | map(attribute='address') | list }}"
"""

RETURN = r"""
outputs:
  description: Output name to value, as the state holds them (with O(drift), as the refreshed plan leaves them).
  returned: always
  type: dict
resources:
  description: The state's managed resources (address, type, and the AWS name of a table or bucket, else null).
  returned: always
  type: list
  elements: dict
drift:
  description: >-
    With O(drift=true), each resource changed outside Terraform: C(address), C(type), C(action) (C(update) when
    changed in place, C(delete) when gone) and C(attributes) (the dotted names that differ).
  returned: when O(drift=true)
  type: list
  elements: dict
action:
  description: C(read), or C(drift) with O(drift=true).
  returned: always
  type: str
summary:
  description: >-
    The counts of a run that changes nothing (C(add), C(change), C(destroy), C(replace), C(move) all 0, empty C(changes)
    and C(data_loss)) and C(prior_resources), the number of managed resources in the state.
  returned: always
  type: dict
changed:
  description: Always false.
  returned: always
  type: bool
line:
  description: One line for a summary.
  sample: "stateful: drift 1 resource(s) changed outside Terraform (3.1 s)"
  returned: always
  type: str
seconds:
  description: Wall time of the read.
  returned: always
  type: float
initialised:
  description: Whether C(terraform init) ran first.
  returned: always
  type: bool
synced:
  description: Configuration or generated files written into the working copy (or removed from it) first.
  returned: always
  type: list
  elements: str
commands:
  description: Terraform commands run (first word only), in order.
  returned: always
  type: list
  elements: str
locked:
  description: On failure, whether another run held the state lock (a refresh-only plan takes it).
  returned: failure
  type: bool
"""

from ansible_collections.strata.deploy.plugins.module_utils import terraform_jobs as jobs
from ansible_collections.strata.deploy.plugins.module_utils.terraform_module import run


def main():
    run({"drift": {"type": "bool", "default": False}},
        lambda tf, params, check_mode: jobs.drift(tf) if params["drift"] else jobs.read(tf))


if __name__ == "__main__":
    main()
