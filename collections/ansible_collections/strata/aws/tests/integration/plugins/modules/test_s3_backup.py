# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.s3_backup run by ansible against the emulator (the copy logic:
tests/integration/plugins/module_utils/test_backup_s3.py)."""
from __future__ import annotations

from ansible_adhoc import run_module


def test_copies_every_object(stack, tmp_path):
    dest = tmp_path / "backups" / "local" / "20250101T000000Z"
    dry = run_module(tmp_path, "strata.aws.s3_backup", {"bucket": stack["bucket"], "dest": str(dest)}, check=True)
    assert (dry["changed"], dry["downloaded"]) == (True, 2)
    assert not dest.exists()

    copied = run_module(tmp_path, "strata.aws.s3_backup", {"bucket": stack["bucket"], "dest": str(dest)})
    assert (copied["object_count"], copied["downloaded"], copied["reused"]) == (2, 2, 0)
    assert copied["index"] == str((dest / "s3" / stack["bucket"] / "index.jsonl.gz").resolve())


def test_concurrency_below_one_fails_naming_the_parameter(stack, tmp_path):
    bad = run_module(tmp_path, "strata.aws.s3_backup",
                     {"bucket": stack["bucket"], "dest": str(tmp_path / "b"), "concurrency": 0})
    assert bad["failed"] is True
    assert bad["msg"] == "parameter concurrency must be at least 1, got 0"
