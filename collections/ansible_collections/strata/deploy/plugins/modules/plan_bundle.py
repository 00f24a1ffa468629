#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: write or verify a plan bundle's manifest."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: plan_bundle
short_description: Write or verify the manifest of a strata plan bundle
description:
  - A plan bundle is a directory holding each layer's saved plan (C(<layer>.tfplan)) and C(manifest.json), written
    last, with the environment and account, and per layer the plan file's sha256, the serial and lineage of the state it
    was planned against, the sha256 of its inputs and its summary, or C(planned after its predecessor) for a layer
    that could not be planned yet.
  - With O(state=present) it writes the manifest (the plan files become read-only). With O(state=verify) it reads
    it and checks that the bundle was made for O(env) in O(account_id) and that no plan file was altered; it fails
    with a message naming the difference otherwise. It never changes anything in AWS.
version_added: 0.1.0
author: strata maintainers (@strata-deploy)
options:
  path:
    description:
      - The bundle directory. A bundle in S3 is written and checked in a private temporary directory, copied to and
        from S3 by M(strata.aws.plan_bundle_s3).
    type: path
    required: true
  origin:
    description:
      - Where the bundle in O(path) was downloaded from (its C(s3://) URL), named in every message instead of O(path).
    type: str
    default: ''
    version_added: 0.5.0
  state:
    description: C(present) writes the manifest, C(verify) checks the bundle.
    type: str
    choices: [present, verify]
    default: verify
  env:
    description: The environment the bundle is (or must be) made for.
    type: str
    required: true
  account_id:
    description: The AWS account the bundle is (or must be) made for.
    type: str
    required: true
  region:
    description: The AWS region (recorded with O(state=present)).
    type: str
    default: ''
  created:
    description: When the plans were made (recorded with O(state=present)).
    type: str
    default: ''
  layers:
    description:
      - With O(state=present), each layer in order, as M(strata.deploy.terraform_plan_file) returned it with
        C(state=saved) (RV(strata.deploy.terraform_plan_file#module:bundle)) plus C(status) (C(planned) or C(planned
        after its predecessor)), C(predecessor) and C(summary).
    type: list
    elements: dict
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - strata.deploy.attributes
attributes:
  check_mode:
    details: The manifest is written in check mode too (plan.yml plans in check mode); verify changes nothing.
"""

EXAMPLES = r"""
- name: Check a bundle before applying it
  strata.deploy.plan_bundle:
    path: plans/dev/20260101T000000Z
    env: dev
    account_id: "123456789012"
  register: bundle

- name: Check a bundle downloaded from S3 (messages name the S3 URL)
  strata.deploy.plan_bundle:
    path: /tmp/ansible.bundle1234
    origin: s3://strata-tfstate-123456789012/plans/dev/42
    env: dev
    account_id: "123456789012"
"""

RETURN = r"""
manifest:
  description: The bundle's manifest.
  returned: always
  type: dict
lines:
  description: One line per layer for a reviewer (counts, and each table or bucket that would be destroyed or replaced).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.strata.deploy.plugins.module_utils import plan_bundle as pb


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "origin": {"type": "str", "default": ""},
            "state": {"type": "str", "choices": ["present", "verify"], "default": "verify"},
            "env": {"type": "str", "required": True},
            "account_id": {"type": "str", "required": True},
            "region": {"type": "str", "default": ""},
            "created": {"type": "str", "default": ""},
            "layers": {"type": "list", "elements": "dict", "default": []},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        if params["state"] == "present":
            manifest = pb.build_manifest(params["path"], params["env"], params["account_id"], params["region"],
                                         params["layers"], params["created"])
            pb.write_manifest(params["path"], manifest)
            changed = True
        else:
            manifest = pb.verify_bundle(params["path"], params["env"], params["account_id"], params["origin"] or None)
            changed = False
    except (pb.BundleError, OSError) as exc:
        module.fail_json(msg=getattr(exc, "msg", str(exc)))
    module.exit_json(changed=changed, manifest=manifest, lines=pb.summary_lines(manifest))


if __name__ == "__main__":
    main()
