#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: ask IAM's policy simulator whether the caller may call a list of actions."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: iam_simulate
short_description: Check with IAM's policy simulator that the caller may call the actions given
description:
  - Finds the caller (O(caller_arn), else STS C(GetCallerIdentity)) and the IAM user or role whose policies apply to
    it (an assumed-role session's role), then asks C(iam:SimulatePrincipalPolicy) whether each action of O(checks) is
    allowed on its resource, in as few calls as the checks fit (up to 100 actions a call, its answers paged).
  - Reports in RV(denied) each check the caller's identity policies do not allow, with the decision and the policy file
    of strata that grants the action. Changes nothing.
  - When the policies cannot be simulated, says why in RV(reason) with RV(simulated=false) and fails nothing; the
    caller may not call C(iam:SimulatePrincipalPolicy) on itself (a refusal), IAM does not know the principal, or the
    caller is no IAM user or role (the account's root user, a federated user).
  - The simulator evaluates identity policies only; resource policies, permission boundaries, SCPs and session
    policies may still refuse a call it allows.
version_added: 0.4.0
author: strata maintainers (@strata-deploy)
options:
  checks:
    description:
      - The actions to check, each with the resource ARN it is called on (C(*) for an action AWS does not scope to a
        resource).
    type: list
    elements: dict
    required: true
    suboptions:
      action:
        description: The action, C(service:Name).
        type: str
        required: true
      resource:
        description: The resource ARN.
        type: str
        required: true
  caller_arn:
    description:
      - The caller's ARN, as STS C(GetCallerIdentity) (or M(amazon.aws.aws_caller_info)) answered it. When empty the
        module asks STS itself.
    type: str
    default: ''
notes:
  - "IAM actions needed: C(sts:GetCallerIdentity) (unless O(caller_arn) is given), C(iam:SimulatePrincipalPolicy) on the
    caller's own user or role; without the latter the module reports RV(simulated=false)."
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
- name: Check that the caller may create the state bucket and the lock table
  strata.aws.iam_simulate:
    checks:
      - {action: s3:CreateBucket, resource: "arn:aws:s3:::strata-tfstate-123456789012"}
      - {action: dynamodb:CreateTable, resource: "arn:aws:dynamodb:us-east-1:123456789012:table/strata-tfstate-lock"}
      - {action: sts:GetCallerIdentity, resource: "*"}
  register: simulation

- name: Stop when one is denied
  ansible.builtin.fail:
    msg: "{{ simulation.denied | map(attribute='action') | join(', ') }} denied"
  when: simulation.denied | length > 0
"""

RETURN = r"""
simulated:
  description: Whether the caller's policies were simulated; false when they cannot be (RV(reason) says why).
  returned: always
  type: bool
reason:
  description: Why the policies were not simulated; empty when they were.
  returned: always
  type: str
  sample: the caller may not call iam:SimulatePrincipalPolicy on arn:aws:iam::123456789012:user/ci (AccessDenied)
principal:
  description: The IAM user or role whose policies were simulated (an assumed-role session's role); empty when none.
  returned: always
  type: str
  sample: arn:aws:iam::123456789012:user/ci
checked:
  description: How many distinct checks were asked.
  returned: always
  type: int
calls:
  description: How many SimulatePrincipalPolicy calls were made (pages included).
  returned: always
  type: int
denied:
  description: The checks not allowed; empty when every one is, or when nothing was simulated.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: The action.
      type: str
    resource:
      description: The resource ARN.
      type: str
    decision:
      description: C(implicitDeny) (no policy allows it), C(explicitDeny) (a policy denies it) or C(not evaluated).
      type: str
    policy:
      description: The policy files of strata that grant the action (C(iam/strata-deploy.json), and
        C(iam/strata-readonly.json) for a read).
      type: list
      elements: str
"""

from ansible_collections.strata.aws.plugins.module_utils import iam_simulate
from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import ClientError, error_code


def check(module):
    checks = iam_simulate.unique_checks(module.params["checks"])
    result = {"changed": False, "simulated": False, "reason": "", "principal": "", "checked": len(checks),
              "calls": 0, "denied": []}
    caller_arn = module.params["caller_arn"] or client(module, "sts").get_caller_identity()["Arn"]
    principal, why_not = iam_simulate.principal(caller_arn)
    if principal is None:
        return dict(result, reason=why_not)
    result["principal"] = principal
    try:
        denied, calls = iam_simulate.simulate(client(module, "iam"), principal, checks)
    except ClientError as exc:
        code = error_code(exc)
        if code not in iam_simulate.NOT_SIMULATED_CODES:
            raise
        what = ("IAM does not know it" if code in ("NoSuchEntity", "InvalidInput")
                else "the caller may not call iam:SimulatePrincipalPolicy on it")
        return dict(result, reason=f"{what}: {principal} ({code})")
    return dict(result, simulated=True, calls=calls, denied=denied)


def main():
    run(
        {
            "checks": {"type": "list", "elements": "dict", "required": True,
                       "options": {"action": {"type": "str", "required": True},
                                   "resource": {"type": "str", "required": True}}},
            "caller_arn": {"type": "str", "default": ""},
        },
        check,
    )


if __name__ == "__main__":
    main()
