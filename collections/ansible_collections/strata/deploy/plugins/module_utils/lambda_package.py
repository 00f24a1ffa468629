# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build reproducible Lambda deployment zips.

The same source files always give the same zip bytes: entries are sorted, every
timestamp is 1980-01-01 00:00:00 (the zip epoch), permissions are normalised to
0644 (0755 for files with any execute bit), the creating system is fixed to Unix,
and compression uses a fixed level. So the zip's hash (Terraform's
``source_code_hash``) changes only when a file's content, name or execute bit does.
"""
from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import os
import stat
import tempfile
import zipfile

DEFAULT_EXCLUDES = ("__pycache__", "*.pyc", "*.pyo", ".*")
"""Names never packaged: byte code (not reproducible) and hidden files."""

_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_UNIX = 3


class PackageError(Exception):
    """A packaging failure with a message meant for the person running it."""


def _excluded(name: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def source_files(src: str, exclude=DEFAULT_EXCLUDES) -> list[tuple[str, str]]:
    """Sorted (archive name, file path) pairs under ``src``; excluded names prune whole dirs."""
    if not os.path.isdir(src):
        raise PackageError(f"src={src!r}: expected a directory holding the function's code")
    found = []
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if not _excluded(d, exclude)]
        for name in files:
            if _excluded(name, exclude):
                continue
            path = os.path.join(root, name)
            found.append((os.path.relpath(path, src).replace(os.sep, "/"), path))
    if not found:
        raise PackageError(f"src={src!r}: no files to package (after excluding {list(exclude)!r})")
    return sorted(found)


def build_zip(src: str, exclude=DEFAULT_EXCLUDES) -> tuple[bytes, list[str]]:
    """Return the zip's bytes and its entry names."""
    files = source_files(src, exclude)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, path in files:
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            info.create_system = _UNIX
            executable = os.stat(path).st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as handle:
                archive.writestr(info, handle.read(), compresslevel=9)
    return buffer.getvalue(), [name for name, _unused in files]


def digests(data: bytes) -> dict:
    """``base64sha256`` (as Terraform's filebase64sha256 gives it) and ``hexsha256``."""
    digest = hashlib.sha256(data).digest()
    return {"base64sha256": base64.b64encode(digest).decode("ascii"), "hexsha256": digest.hex()}


def _file_sha256(path: str) -> bytes | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.digest()


def _write_atomically(dest: str, data: bytes) -> None:
    directory = os.path.dirname(dest) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".lambda-package-", suffix=".zip", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        os.unlink(tmp)
        raise


def package(src: str, dest: str, exclude=DEFAULT_EXCLUDES, check_mode: bool = False) -> dict:
    """Build ``src`` into ``dest`` unless ``dest`` already holds the same bytes.

    Returns ``changed``, ``path``, ``base64sha256``, ``hexsha256``, ``size`` and ``files``.
    In check mode the hashes are computed and nothing is written.
    """
    dest = os.path.abspath(dest)
    if os.path.isdir(dest):
        raise PackageError(f"dest={dest!r}: is a directory; expected the path of the zip file to write")
    try:
        data, names = build_zip(src, exclude)
    except OSError as err:
        raise PackageError(f"src={src!r}: cannot read the sources: {err}") from err
    result = {"path": dest, "size": len(data), "files": names, **digests(data)}
    changed = _file_sha256(dest) != hashlib.sha256(data).digest()
    if changed and not check_mode:
        try:
            _write_atomically(dest, data)
        except OSError as err:
            raise PackageError(f"dest={dest!r}: cannot write the zip: {err}") from err
    return {"changed": changed, **result}
