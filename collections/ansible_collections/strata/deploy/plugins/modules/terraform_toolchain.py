#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: check Terraform and write the CLI config strata's runs use."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: terraform_toolchain
short_description: Check the Terraform binary and write a provider-installation CLI config
description:
  - Finds the C(terraform) binary and fails when it is missing or older than O(min_version).
  - Looks for a Terraform filesystem mirror holding each of O(providers) at O(provider_version)
    (the path in O(provider_mirror), else a search of O(mirror_search_roots)).
  - Writes a CLI configuration file that installs those providers from the mirror (and
    everything else from the registry), with a plugin cache so that C(terraform init)
    links the provider rather than copying it. Without a mirror, providers come from the registry.
version_added: 0.1.0
author: strata maintainers (@strata-deploy)
options:
  binary:
    description: Name or path of the terraform binary.
    type: str
    default: terraform
  min_version:
    description: Oldest Terraform version accepted, as C(MAJOR.MINOR) or C(MAJOR.MINOR.PATCH).
    type: str
    default: "1.10"
  providers:
    description: Provider source addresses the mirror must hold.
    type: list
    elements: str
    default: [registry.terraform.io/hashicorp/aws]
  provider_version:
    description: Provider version the mirror must hold.
    type: str
    required: true
  provider_mirror:
    description: A filesystem mirror to use. When empty, O(mirror_search_roots) are searched.
    type: path
  mirror_search_roots:
    description: Directories searched (three levels deep) for a mirror when O(provider_mirror) is empty.
    type: list
    elements: path
  config_path:
    description: Where to write the CLI configuration file.
    type: path
    required: true
  plugin_cache_dir:
    description: Terraform's plugin cache directory (created when missing).
    type: path
    required: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - strata.deploy.attributes
"""

EXAMPLES = r"""
- name: Prepare Terraform
  strata.deploy.terraform_toolchain:
    provider_version: 5.100.0
    config_path: "{{ playbook_dir }}/../.strata/terraform/cli.tfrc"
    plugin_cache_dir: "{{ playbook_dir }}/../.strata/terraform/plugin-cache"
  register: toolchain
"""

RETURN = r"""
terraform_path:
  description: Absolute path of the terraform binary.
  returned: success
  type: str
terraform_version:
  description: Version of the terraform binary.
  returned: success
  type: str
  sample: 1.11.4
mirror:
  description: The filesystem mirror used, or null when providers come from the registry.
  returned: success
  type: str
config_path:
  description: Path of the CLI configuration file (for TF_CLI_CONFIG_FILE).
  returned: success
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.strata.deploy.plugins.module_utils import terraform_toolchain as tt


def main():
    module = AnsibleModule(
        argument_spec=dict(
            binary=dict(type="str", default="terraform"),
            min_version=dict(type="str", default="1.10"),
            providers=dict(type="list", elements="str", default=["registry.terraform.io/hashicorp/aws"]),
            provider_version=dict(type="str", required=True),
            provider_mirror=dict(type="path"),
            mirror_search_roots=dict(type="list", elements="path"),
            config_path=dict(type="path", required=True),
            plugin_cache_dir=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        path, version = tt.find_terraform(params["binary"], params["min_version"])
    except tt.ToolchainError as exc:
        module.fail_json(msg=str(exc))

    mirror = params["provider_mirror"]
    if mirror:
        missing = [p for p in params["providers"] if not tt.mirror_has(mirror, p, params["provider_version"])]
        if missing:
            module.fail_json(
                msg=f"provider_mirror {mirror!r} does not hold {', '.join(missing)} "
                f"{params['provider_version']} (expected <mirror>/<provider>/<version>/)"
            )
    else:
        roots = params["mirror_search_roots"] or tt.DEFAULT_SEARCH_ROOTS
        found = [tt.find_mirror(p, params["provider_version"], roots) for p in params["providers"]]
        mirror = found[0] if found and all(f == found[0] for f in found) else None

    cache = params["plugin_cache_dir"]
    content = tt.render_config(mirror, params["providers"], cache)
    changed = tt.write_if_changed(params["config_path"], content, module.check_mode)
    if not module.check_mode:
        os.makedirs(cache, exist_ok=True)
    module.exit_json(changed=changed, terraform_path=path, terraform_version=version,
                     mirror=mirror, config_path=params["config_path"])


if __name__ == "__main__":
    main()
