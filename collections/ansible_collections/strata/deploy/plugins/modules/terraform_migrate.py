#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: move a Terraform state to the backend its working copy now names."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: terraform_migrate
short_description: Move a Terraform state to the backend its working copy now names, without a prompt
description:
  - Runs C(terraform init -migrate-state -force-copy) in O(project_path), whose C(backend.tf) the caller has
    already pointed at the new backend (for instance from a local file into the state bucket, or back); the
    state is copied there without a question, and the init is recorded so that the next run of the layer does
    not initialise again.
  - The working copy must exist already (an earlier run of the layer made it); this module writes no file into it.
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - strata.deploy.attributes
  - strata.deploy.terraform
attributes:
  check_mode:
    details: In check mode nothing runs; the module reports the move it would make.
"""

EXAMPLES = r"""
- name: Write the S3 backend into the working copy
  ansible.builtin.copy:
    dest: "{{ work_root }}/bootstrap/backend.tf"
    content: "{{ lookup('ansible.builtin.template', 'backend.tf.j2') }}"
    mode: "0640"

- name: Move the bootstrap state into the bucket
  strata.deploy.terraform_migrate:
    project_path: "{{ work_root }}/bootstrap"
    layer: bootstrap
    environment: "{{ terraform_credentials }}"
"""

RETURN = r"""
changed:
  description: Always true (the state was moved, or would be in check mode).
  returned: always
  type: bool
action:
  description: C(migrate).
  returned: always
  type: str
  sample: migrate
line:
  description: One line for the run's summary.
  returned: always
  type: str
  sample: "bootstrap: migrate 0 to add, 0 to change, 0 to destroy (2.4 s)"
commands:
  description: The Terraform commands run (C(init) outside check mode).
  returned: always
  type: list
  elements: str
seconds:
  description: How long the move took.
  returned: always
  type: float
outputs:
  description: Empty (a move reads no outputs).
  returned: always
  type: dict
resources:
  description: Empty (a move reads no resources).
  returned: always
  type: list
  elements: dict
summary:
  description: The counts of a run that plans nothing (all 0).
  returned: always
  type: dict
locked:
  description: On failure, whether another run held the state lock.
  returned: failure
  type: bool
"""

from ansible_collections.strata.deploy.plugins.module_utils import terraform_jobs as jobs
from ansible_collections.strata.deploy.plugins.module_utils.terraform_module import run


def main():
    run({}, lambda tf, params, check_mode: jobs.migrate(tf, check_mode), working_copy=False)


if __name__ == "__main__":
    main()
