#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: build a reproducible Lambda deployment zip."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: lambda_package
short_description: Build a reproducible Lambda deployment zip and report its hashes
description:
  - Zips the files under O(src) into O(dest) so that the same sources always give the same
    bytes, whatever the files' modification times, owners or the order the file system lists
    them in.
  - Entries are sorted, timestamps fixed to 1980-01-01 00:00:00, permissions normalised to
    C(0644) (C(0755) for files with an execute bit), compression level fixed.
  - Returns the zip's SHA-256 in base64 (what Terraform's C(source_code_hash) expects, the same
    as C(filebase64sha256)) and in hex.
  - O(dest) is rewritten only when the new zip's bytes differ from what it holds, so an
    unchanged function reports no change.
version_added: 0.1.0
author: strata maintainers (@strata-deploy)
options:
  src:
    description: Directory holding the function's code; paths in the zip are relative to it.
    type: path
    required: true
  dest:
    description:
      - Path of the zip file to write. Missing parent directories are created.
    type: path
    required: true
  exclude:
    description:
      - Shell-style patterns matched against file and directory names (not paths); a
        matching directory is skipped with everything in it.
      - The default leaves out byte code, which is not reproducible, and hidden files.
    type: list
    elements: str
    default: ["__pycache__", "*.pyc", "*.pyo", ".*"]
notes:
  - In check mode the zip is built in memory and hashed; O(dest) is not written.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - strata.deploy.attributes
"""

EXAMPLES = r"""
- name: Package the visitor counter
  strata.deploy.lambda_package:
    src: "{{ playbook_dir }}/../lambda/visitor_counter"
    dest: "{{ playbook_dir }}/../.strata/work/visitor_counter.zip"
  register: counter_zip

- name: Pass the zip to Terraform
  ansible.builtin.set_fact:
    stateless_vars:
      lambda_zip_path: "{{ counter_zip.path }}"
      lambda_source_code_hash: "{{ counter_zip.base64sha256 }}"
"""

RETURN = r"""
path:
  description: Absolute path of the zip.
  returned: always
  type: str
  sample: /srv/strata/.strata/work/visitor_counter.zip
base64sha256:
  description: Base64-encoded SHA-256 of the zip's bytes, for Terraform's C(source_code_hash).
  returned: always
  type: str
  sample: 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
hexsha256:
  description: Hex SHA-256 of the zip's bytes.
  returned: always
  type: str
  sample: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
size:
  description: Size of the zip in bytes.
  returned: always
  type: int
  sample: 2143
files:
  description: Entries of the zip, in the order stored.
  returned: always
  type: list
  elements: str
  sample: [app.py]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.strata.deploy.plugins.module_utils.lambda_package import (
    DEFAULT_EXCLUDES,
    PackageError,
    package,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path", required=True),
            dest=dict(type="path", required=True),
            exclude=dict(type="list", elements="str", default=list(DEFAULT_EXCLUDES)),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        result = package(params["src"], params["dest"], params["exclude"], check_mode=module.check_mode)
    except PackageError as err:
        module.fail_json(msg=str(err))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
