#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the action plugin strata.deploy.report_file (it runs no module on the host)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: report_file
short_description: Write a run's report on the machine the play runs on, in one step
description:
  - Writes O(content) to O(path), creating the directory (O(dir_mode)) when it is missing, through a
    temporary file in the same directory renamed into place, so a reader never sees half a report.
  - It is an action plugin, which writes from the controller and sends no module to the host, so it costs no
    module run (C(ansible.builtin.copy) runs two, C(stat) then C(copy), and C(file) one more for the
    directory). It therefore only serves hosts whose connection is C(local), as strata's inventories
    declare them, and fails naming the connection otherwise.
version_added: 0.3.0
options:
  path:
    description: The file to write (absolute).
    type: path
    required: true
  content:
    description: The text to write, as is.
    type: str
    required: true
  mode:
    description: The file's permissions, octal.
    type: str
    default: '0640'
  dir_mode:
    description: The permissions of the directory when it is created, octal.
    type: str
    default: '0750'
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - strata.deploy.attributes
attributes:
  action:
    support: full
    details: The whole work happens in the action plugin, on the controller.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    details: In check mode nothing is written (a task that must write, such as a report, says C(check_mode=false)).
author: strata maintainers (@strata-deploy)
"""

EXAMPLES = r"""
- name: Write the deploy report
  strata.deploy.report_file:
    path: /srv/strata/.strata/work/strata-dev/reports/deploy.json
    content: "{{ report | to_nice_json }}\n"
  check_mode: false
"""

RETURN = r"""
path:
  description: The file written.
  returned: always
  type: str
changed:
  description: Whether the file's content or mode differed (in check mode, would differ).
  returned: always
  type: bool
"""
