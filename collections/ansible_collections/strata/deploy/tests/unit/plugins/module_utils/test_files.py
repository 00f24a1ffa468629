# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Files written whole (module_utils/files.py)."""
from __future__ import annotations

import threading

from ansible_collections.strata.deploy.plugins.module_utils import files


def test_writes_once_then_only_on_a_change_of_bytes_or_mode(tmp_path):
    path = tmp_path / "sub" / "f"
    assert files.write_if_changed(str(path), b"a", 0o640, check_mode=True) is True
    assert not path.exists()
    assert files.write_if_changed(str(path), b"a", 0o640) is True
    assert (path.read_bytes(), path.stat().st_mode & 0o777) == (b"a", 0o640)
    assert files.write_if_changed(str(path), b"a", 0o640) is False
    assert files.write_if_changed(str(path), b"a", 0o600) is True
    assert path.stat().st_mode & 0o777 == 0o600
    assert files.write_if_changed(str(path), b"b", 0o600, check_mode=True) is True
    assert path.read_bytes() == b"a"


def test_a_symbolic_link_is_replaced_by_a_file(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"a")
    target.chmod(0o640)
    link = tmp_path / "link"
    link.symlink_to(target)
    assert files.write_if_changed(str(link), b"a", 0o640) is True
    assert not link.is_symlink() and link.read_bytes() == b"a" and target.read_bytes() == b"a"


def test_writers_side_by_side_never_rename_each_others_file(tmp_path):
    # Three deploys of one checkout started together each write the same CLI configuration;
    # with one temporary name for all, a writer renamed the file another had just renamed.
    path = tmp_path / "terraform" / "cli.tfrc"
    contents = [(f"config {n}\n" * 2000).encode() for n in range(4)]
    errors = []

    def write(content):
        try:
            for _round in range(50):
                files.write_if_changed(str(path), content, 0o644)
        except Exception as error:  # noqa: BLE001 (the test collects what any writer raised)
            errors.append(error)

    threads = [threading.Thread(target=write, args=(content,)) for content in contents * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert path.read_bytes() in contents
    assert sorted(p.name for p in path.parent.iterdir()) == ["cli.tfrc"]
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "f"
    try:
        files.write_if_changed(str(path), "not bytes", 0o640)
    except TypeError:
        pass
    else:
        raise AssertionError("a str was written as bytes")
    assert list(tmp_path.iterdir()) == []
