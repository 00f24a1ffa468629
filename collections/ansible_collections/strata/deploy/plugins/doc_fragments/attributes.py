# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The attributes every strata.deploy module shares: full check mode, no diff, POSIX hosts."""
from __future__ import annotations


class ModuleDocFragment:
    # Used after the fragment that describes the attributes; a module's own `attributes:` entry
    # (such as check_mode with its details) wins over this one:
    # extends_documentation_fragment:
    #   - ansible.builtin.action_common_attributes
    #   - strata.deploy.attributes
    DOCUMENTATION = r"""
attributes:
  check_mode: {support: full}
  diff_mode: {support: none}
  platform: {support: full, platforms: posix}
"""
