# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Files written whole: the one way strata's modules and action plugins write a file."""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile


def write_if_changed(path, data, mode, check_mode=False, dir_mode=0o750):
    """Write ``data`` (bytes) to ``path`` with permissions ``mode`` unless the file already holds
    exactly those bytes with that mode; True when written (in check mode: when it would be).
    A symbolic link at ``path`` is replaced by a file.

    The directory is created with ``dir_mode`` when missing. The bytes go to a temporary file of
    a name of its own beside ``path``, renamed over it: writers side by side (two environments
    deployed from one checkout) never rename each other's file, a reader sees the old file or
    the new one whole, and on any error the temporary file is removed."""
    same = False
    if not os.path.islink(path):
        try:
            with open(path, "rb") as current:
                same = current.read() == data and stat.S_IMODE(os.stat(path).st_mode) == mode
        except FileNotFoundError:
            pass
    if same or check_mode:
        return not same
    directory, name = os.path.split(path)
    directory = directory or "."
    os.makedirs(directory, mode=dir_mode, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".strata-tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return True
