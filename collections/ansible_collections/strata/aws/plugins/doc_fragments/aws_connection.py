# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of what every strata.aws module that calls AWS adds to amazon.aws's
connection options (module_utils/aws_module.py AWS_ARGUMENT_SPEC)."""
from __future__ import annotations


class ModuleDocFragment:
    # Used together with amazon.aws's fragments, as the options come from AnsibleAWSModule:
    # extends_documentation_fragment:
    #   - amazon.aws.common.modules
    #   - amazon.aws.region.modules
    #   - amazon.aws.boto3
    #   - strata.aws.aws_connection
    DOCUMENTATION = r"""
options:
  retries:
    description:
      - Attempts for throttled or failed requests, for botocore's adaptive retry mode and for
        the module's own backoff loops.
    type: int
    default: 10
notes:
  - The connection options are those of every amazon.aws module (the module is built on
    amazon.aws's C(AnsibleAWSModule)); with none given, the standard AWS configuration chain is
    used, including E(AWS_REGION) and E(AWS_ENDPOINT_URL). C(module_defaults) for
    C(group/strata.aws.aws) apply to it.
  - Credentials are never logged; O(access_key), O(secret_key) and O(session_token) are
    C(no_log), so their values are masked in results and in C(invocation) at any verbosity.
"""
