# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one exception type strata.aws's module_utils raise for a failure meant for the person
running the module: the modules' base (``aws_module.run``) turns it into ``fail_json`` with
its message and details. Standard library only."""
from __future__ import annotations


class StrataAWSError(Exception):
    """A failure with a message for the user; ``details`` become keys of the failed result."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details
