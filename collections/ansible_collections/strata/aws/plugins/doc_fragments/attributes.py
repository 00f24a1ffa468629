# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How strata.aws modules support the common attributes, one variant each (as
ansible.builtin.action_common_attributes and community.general.attributes keep them):
DOCUMENTATION for a module that runs in check mode and has no diff mode (every strata.aws module:
module_utils/aws_module.py declares ``supports_check_mode``, and each module's notes say what it
does in check mode), PLATFORM for one that runs on any POSIX controller."""
from __future__ import annotations


class ModuleDocFragment:
    # ansible.builtin.action_common_attributes describes the attributes; these say how the module
    # supports them. They come first: of two fragments that document the same attribute, the values
    # of the first one listed win (the other would turn platform's support to N/A).
    # extends_documentation_fragment:
    #   - strata.aws.attributes
    #   - strata.aws.attributes.platform
    #   - ansible.builtin.action_common_attributes
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

    PLATFORM = r"""
options: {}
attributes:
  platform:
    support: full
    platforms: posix
"""
