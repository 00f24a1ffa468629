# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.lambda_package: reproducible zips and their hashes."""
from __future__ import annotations

import base64
import hashlib
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from ansible_adhoc import REPO, run_module
from ansible_collections.strata.deploy.plugins.module_utils.lambda_package import PackageError, package


def make_sources(root: Path, mtime: int, reverse: bool = False) -> Path:
    """A small function tree whose files all carry ``mtime``; byte code and dotfiles included.

    ``reverse`` creates the files in the opposite order, with other non-executable modes.
    """
    files = {
        "app.py": "def handler(event, context):\n    return {}\n",
        "lib/helpers.py": "VALUE = 1\n",
        "lib/data.json": "{}\n",
        "bootstrap": "#!/bin/sh\n",
        "__pycache__/app.cpython-312.pyc": "junk",
        "lib/helpers.pyc": "junk",
        ".env": "SECRET=1\n",
    }
    for name, text in (reversed(files.items()) if reverse else files.items()):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "bootstrap").chmod(0o700)
    (root / "app.py").chmod(0o664 if reverse else 0o600)
    for path in root.rglob("*"):
        os.utime(path, (mtime, mtime))
    return root


def sha256(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def test_same_sources_give_identical_bytes_whatever_the_mtimes(tmp_path):
    one = make_sources(tmp_path / "one", mtime=1_000_000_000)
    two = make_sources(tmp_path / "two", mtime=1_700_000_000, reverse=True)

    first = package(str(one), str(tmp_path / "out" / "one.zip"))
    second = package(str(two), str(tmp_path / "out" / "two.zip"))

    assert (tmp_path / "out" / "one.zip").read_bytes() == (tmp_path / "out" / "two.zip").read_bytes()
    assert first["base64sha256"] == second["base64sha256"]
    assert first["changed"] and second["changed"]


def test_zip_layout_is_normalised(tmp_path):
    src = make_sources(tmp_path / "src", mtime=1_234_567_890)
    result = package(str(src), str(tmp_path / "fn.zip"))

    with zipfile.ZipFile(tmp_path / "fn.zip") as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["app.py", "bootstrap", "lib/data.json", "lib/helpers.py"]
        assert result["files"] == [i.filename for i in infos]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
        assert modes == {"app.py": 0o644, "bootstrap": 0o755, "lib/data.json": 0o644, "lib/helpers.py": 0o644}
        assert archive.read("lib/helpers.py") == b"VALUE = 1\n"
    assert result["path"] == str(tmp_path / "fn.zip")
    assert result["size"] == (tmp_path / "fn.zip").stat().st_size


def test_hashes_are_what_terraform_expects(tmp_path):
    src = make_sources(tmp_path / "src", mtime=0)
    result = package(str(src), str(tmp_path / "fn.zip"))
    digest = sha256(tmp_path / "fn.zip")
    assert result["base64sha256"] == base64.b64encode(digest).decode()
    assert result["hexsha256"] == digest.hex()


def test_content_change_changes_the_hash_and_rewrites(tmp_path):
    src = make_sources(tmp_path / "src", mtime=0)
    dest = tmp_path / "fn.zip"
    before = package(str(src), str(dest))

    (src / "lib" / "helpers.py").write_text("VALUE = 2\n")
    after = package(str(src), str(dest))

    assert after["changed"] is True
    assert after["base64sha256"] != before["base64sha256"]
    assert sha256(dest).hex() == after["hexsha256"]


def test_identical_zip_is_left_alone(tmp_path):
    src = make_sources(tmp_path / "src", mtime=0)
    dest = tmp_path / "fn.zip"
    first = package(str(src), str(dest))
    os.utime(dest, (5, 5))
    inode = dest.stat().st_ino

    for path in src.rglob("*"):
        os.utime(path, (99, 99))
    again = package(str(src), str(dest))

    assert again == {**first, "changed": False}
    assert (dest.stat().st_mtime, dest.stat().st_ino) == (5, inode)


def test_check_mode_hashes_without_writing(tmp_path):
    src = make_sources(tmp_path / "src", mtime=0)
    dest = tmp_path / "build" / "fn.zip"

    checked = package(str(src), str(dest), check_mode=True)
    assert checked["changed"] is True
    assert not dest.parent.exists()

    applied = package(str(src), str(dest))
    assert applied["base64sha256"] == checked["base64sha256"]

    (src / "app.py").write_text("changed\n")
    rechecked = package(str(src), str(dest), check_mode=True)
    assert rechecked["changed"] is True
    assert sha256(dest).hex() == applied["hexsha256"]


def test_custom_excludes(tmp_path):
    src = make_sources(tmp_path / "src", mtime=0)
    result = package(str(src), str(tmp_path / "fn.zip"), exclude=["lib", "*.pyc", "__pycache__"])
    assert result["files"] == [".env", "app.py", "bootstrap"]


@pytest.mark.parametrize("setup, message", [
    (lambda t: None, "src='{t}/missing': expected a directory"),
    (lambda t: (t / "missing").mkdir(), "src='{t}/missing': no files to package"),
])
def test_bad_sources_are_clear_errors(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(PackageError) as err:
        package(str(tmp_path / "missing"), str(tmp_path / "fn.zip"))
    assert str(err.value).startswith(message.format(t=tmp_path))


def test_dest_directory_is_refused(tmp_path):
    src = make_sources(tmp_path / "src", mtime=0)
    with pytest.raises(PackageError, match="is a directory; expected the path of the zip file"):
        package(str(src), str(tmp_path))


def test_module_through_ansible(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(REPO / "lambda" / "visitor_counter", src, ignore=shutil.ignore_patterns("__pycache__"))
    args = {"src": str(src), "dest": str(tmp_path / "build" / "counter.zip")}

    checked = run_module(tmp_path, "strata.deploy.lambda_package", args, check=True)
    assert checked["changed"] is True and not (tmp_path / "build").exists()

    built = run_module(tmp_path, "strata.deploy.lambda_package", args)
    assert built["changed"] is True
    assert built["files"] == ["app.py"]
    assert built["base64sha256"] == checked["base64sha256"]
    assert base64.b64decode(built["base64sha256"]) == sha256(tmp_path / "build" / "counter.zip")

    again = run_module(tmp_path, "strata.deploy.lambda_package", args)
    assert again["changed"] is False

    missing = run_module(tmp_path, "strata.deploy.lambda_package", {"src": str(tmp_path / "nope"), "dest": args["dest"]})
    assert missing["failed"] is True and "expected a directory" in missing["msg"]
