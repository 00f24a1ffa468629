# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.aws.backup_find run by ansible on real directories, no emulator (the rules:
tests/unit/plugins/module_utils/test_backup_catalog.py)."""
from __future__ import annotations

from ansible_adhoc import run_module
from ..module_utils.test_backup_catalog import make_backup


def test_chooses_the_latest_complete_backup(tmp_path):
    root = tmp_path / "backups"
    make_backup(root, "dev", "20250101T000000Z", created_at="2025-01-01T00:00:00Z")
    latest = make_backup(root, "dev", "20250102T000000Z", created_at="2025-01-02T00:00:00Z")
    make_backup(root, "dev", "20250103T000000Z", manifest=False)

    for check in (False, True):
        result = run_module(tmp_path, "strata.aws.backup_find", {"root": str(root), "env": "dev"}, check=check)
        assert result["changed"] is False and not result.get("failed"), result
        assert (result["dir"], result["name"]) == (str(latest), "20250102T000000Z")
        assert result["manifest"]["source"]["env"] == "dev"
        assert result["backups"] == [
            {"name": "20250102T000000Z", "created": "2025-01-02T00:00:00Z", "path": str(latest)},
            {"name": "20250101T000000Z", "created": "2025-01-01T00:00:00Z", "path": str(root / "dev" / "20250101T000000Z")},
        ]
        assert result["ignored"] == [{"name": "20250103T000000Z", "kind": "incomplete", "reason": "incomplete: no manifest.json"}]
        assert result["env_dir"] == str(root / "dev")


def test_named_backup_and_refusals(tmp_path):
    root = tmp_path / "backups"
    named = make_backup(root, "dev", "20250101T000000Z")
    make_backup(root, "prod", "20250101T000000Z")
    make_backup(root, "dev", "20250109T000000Z", created_at="2025-01-09T00:00:00Z", manifest_env="prod")

    result = run_module(tmp_path, "strata.aws.backup_find", {"root": str(root), "env": "dev", "name": "20250101T000000Z"})
    assert (result["dir"], result["name"]) == (str(named), "20250101T000000Z")
    assert any("20250109T000000Z is not used: its manifest is for env 'prod'" in w for w in result.get("warnings", []))

    escape = run_module(tmp_path, "strata.aws.backup_find",
                        {"root": str(root), "env": "dev", "name": "../prod/20250101T000000Z"})
    assert escape["failed"] is True
    assert escape["msg"].startswith(
        f"name '../prod/20250101T000000Z' resolves to {root}/prod/20250101T000000Z, which is not inside {root}/dev: "
        f"expected a backup directory directly inside {root}/dev"
    )
    foreign = run_module(tmp_path, "strata.aws.backup_find", {"root": str(root), "env": "dev", "name": "20250109T000000Z"})
    assert foreign["failed"] is True and "is a backup of env 'prod'" in foreign["msg"]


def test_none_found_fails_a_restore_and_is_empty_for_reuse(tmp_path):
    root = tmp_path / "backups"
    restore = run_module(tmp_path, "strata.aws.backup_find", {"root": str(root), "env": "dev"})
    assert restore["failed"] is True
    assert restore["msg"] == (f"{root}/dev holds no complete backup of env 'dev' (a directory with a manifest.json): "
                              "take a backup first, or name one")
    reuse = run_module(tmp_path, "strata.aws.backup_find", {"root": str(root), "env": "dev", "purpose": "reuse", "name": ""})
    assert not reuse.get("failed")
    assert (reuse["dir"], reuse["name"], reuse["manifest"], reuse["backups"]) == ("", "", {}, [])

    bad = run_module(tmp_path, "strata.aws.backup_find", {"root": str(root), "env": "dev", "purpose": "latest"})
    assert "value of purpose must be one of: restore, reuse, got: latest" in bad["msg"]
