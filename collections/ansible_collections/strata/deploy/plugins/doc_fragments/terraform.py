# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options strata.deploy's Terraform modules share (module_utils/terraform_module.py)."""
from __future__ import annotations


class ModuleDocFragment:
    # Every Terraform module (TERRAFORM_OPTIONS): strata.deploy.terraform
    DOCUMENTATION = r"""
options:
  project_path:
    description: The working copy (a directory holding the configuration and C(backend.tf)).
    type: path
    required: true
  layer:
    description: The layer's name, used in messages and the report line.
    type: str
    required: true
  binary_path:
    description: The terraform binary.
    type: path
    default: terraform
  environment:
    description:
      - Extra environment variables for Terraform, such as credentials. Never logged, unlike the task's
        C(environment) keyword, which Ansible writes into the command line it shows at C(-vvv).
    type: dict
    default: {}
  lock_timeout:
    description: Seconds to wait for the state lock.
    type: int
    default: 300
notes:
  - Terraform reads its credentials and endpoint from the environment; pass them with O(environment)
    (never logged), not with the task's C(environment) keyword.
  - A failure because another run holds the state lock returns C(locked=true) and, in C(lock), the lock as
    Terraform's "Lock Info" gives it (C(id), C(who), C(operation), C(created), C(path); null where Terraform
    did not say), so the caller can retry or print the command that releases it.
"""

    # The modules that bring the working copy up to date before Terraform starts
    # (WORKING_COPY_OPTIONS): strata.deploy.terraform.working_copy
    WORKING_COPY = r"""
options:
  source_dir:
    description:
      - The layer's directory. Its C(*.tf) files (symlinks followed) and C(.terraform.lock.hcl) are
        brought into O(project_path) first, in one step, and C(*.tf) files it no longer has are removed.
        Overrides (C(*_override.tf)), state, plans and C(.terraform) are never copied, nor C(backend.tf).
    type: path
  modules_dir:
    description: A directory of local modules, mirrored to C(<project_path>/../modules) so that C(../modules/<name>) resolves.
    type: path
  files:
    description:
      - Files strata generates for the working copy, a dict of file name to text (C(backend.tf), the input variables), written
        into O(project_path) (created if missing) when their bytes differ, also in check mode (the working copy is
        scratch that a plan needs). Names only, no directories. Never put credentials here.
    type: dict
notes:
  - C(terraform init) runs only when the working copy's backend, provider lock file or module calls changed
    since its last successful init (a fingerprint kept in C(.terraform)).
"""

    # The modules that apply a plan (DATA_GUARD_OPTIONS): strata.deploy.terraform.data_guard
    DATA_GUARD = r"""
options:
  allow_replace:
    description:
      - Addresses of data-holding resources (C(aws_dynamodb_table), C(aws_s3_bucket)) the plan may destroy or
        replace, because the caller backed them up. Any other such change is refused before anything is applied,
        naming each resource by address with the reason Terraform gives.
    type: list
    elements: str
    default: []
"""
