# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin strata.deploy.report_file: write a text file on the controller in one step
(documented in plugins/modules/report_file.py)."""
from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.strata.deploy.plugins.module_utils import files

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "content": {"type": "str", "required": True},
    "mode": {"type": "str", "default": "0640"},
    "dir_mode": {"type": "str", "default": "0750"},
}


def octal(name, value):
    try:
        return int(value, 8)
    except ValueError:
        raise ValueError(f"{name} is {value!r}: expected octal permissions such as 0640") from None


def write(path, content, mode, dir_mode, check_mode):
    """Write ``content`` to ``path`` (mode ``mode``) through a renamed temporary file, creating
    the directory with ``dir_mode``; return whether the file changed."""
    return files.write_if_changed(path, content.encode("utf-8"), mode, check_mode, dir_mode)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        connection = (task_vars or {}).get("ansible_connection") or self._play_context.connection
        if connection != "local":
            return dict(result, failed=True, msg=f"report_file writes on the controller; the host's connection is "
                        f"{connection!r}: expected 'local' (ansible_connection: local, as strata's inventories set).")
        path = args["path"]
        if not os.path.isabs(path):
            return dict(result, failed=True, msg=f"path is {path!r}: expected an absolute path")
        try:
            mode, dir_mode = octal("mode", args["mode"]), octal("dir_mode", args["dir_mode"])
            changed = write(path, args["content"], mode, dir_mode, self._task.check_mode)
        except ValueError as exc:
            return dict(result, failed=True, msg=str(exc))
        except OSError as exc:
            return dict(result, failed=True, msg=f"cannot write {path}: {exc.strerror or exc}")
        return dict(result, changed=changed, path=path)
