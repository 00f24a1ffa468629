# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/s3_transfer.py without an emulator: S3's checksums computed from a file (whole
and composite), the part sizes S3's limits allow, and a window on a file that botocore sends
a part from. Transfers against the emulator: tests/integration/plugins/module_utils/test_s3_transfer.py."""
from __future__ import annotations

import base64
import hashlib
import io
import os

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.s3_transfer import (
    GIB,
    MIB,
    FileSlice,
    b64_sha256,
    checksum_matches,
    composite_sha256,
    file_checksums,
    hex_sha256,
    part_ranges,
    part_size_for,
)


def _composite_of(data, part_size):
    parts = [data[i:i + part_size] for i in range(0, len(data), part_size)] or [b""]
    inner = b"".join(hashlib.sha256(p).digest() for p in parts)
    return base64.b64encode(hashlib.sha256(inner).digest()).decode() + f"-{len(parts)}"


def test_full_and_composite_checksums_of_a_file(tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 5)
    path = tmp_path / "f"
    path.write_bytes(data)
    sha, size, composite = file_checksums(path, 1024 * 1024)
    assert (sha, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert composite == _composite_of(data, 1024 * 1024) and composite.endswith("-4")
    assert file_checksums(path)[2] is None
    # A part size that divides the file exactly leaves no empty last part.
    exact = tmp_path / "exact"
    exact.write_bytes(data[:2 * 1024 * 1024])
    assert file_checksums(exact, 1024 * 1024)[2] == _composite_of(data[:2 * 1024 * 1024], 1024 * 1024)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert file_checksums(empty, MIB)[2] == _composite_of(b"", MIB)


def test_checksum_forms():
    digest = hashlib.sha256(b"x").hexdigest()
    assert hex_sha256(b64_sha256(digest)) == digest
    assert hex_sha256("abc=-2") is None and hex_sha256(None) is None and hex_sha256("!!!") is None
    assert composite_sha256([hashlib.sha256(b"a").digest()]).endswith("-1")


def test_checksum_matches_a_whole_or_a_composite_checksum(tmp_path):
    data = os.urandom(11 * MIB)
    path = tmp_path / "f"
    path.write_bytes(data)
    assert checksum_matches(path, b64_sha256(hashlib.sha256(data).hexdigest()))
    assert checksum_matches(path, _composite_of(data, 5 * MIB))  # 3 parts of 5 MiB, as upload_file sends them
    assert not checksum_matches(path, _composite_of(data[:-1] + b"!", 5 * MIB))
    assert not checksum_matches(path, None) and not checksum_matches(path, "x-y")


def test_a_composite_checksum_is_compared_with_the_part_size_the_file_went_up_in(tmp_path):
    # 11 MiB in parts of 8 MiB makes 2 parts, as parts of 6 MiB do: the count alone does not
    # tell the part size, so the one the upload used is tried first.
    data = os.urandom(11 * MIB)
    path = tmp_path / "f"
    path.write_bytes(data)
    assert _composite_of(data, 8 * MIB) != _composite_of(data, 6 * MIB)
    assert checksum_matches(path, _composite_of(data, 8 * MIB), 8 * MIB)
    assert checksum_matches(path, _composite_of(data, 6 * MIB), 8 * MIB)  # what the count alone suggests
    assert not checksum_matches(path, _composite_of(data[:-1] + b"!", 8 * MIB), 8 * MIB)


def test_part_sizes_respect_s3s_limits():
    assert part_size_for(100, 1) == 5 * MIB
    assert part_size_for(1000 * GIB, 64 * MIB) == 103 * MIB  # 10,000 parts at most
    with pytest.raises(BackupError, match="does not fit in 10000 parts"):
        part_size_for(60000 * GIB)
    assert part_ranges(12, 5) == [(0, 4), (5, 9), (10, 11)]
    assert part_ranges(10, 5) == [(0, 4), (5, 9)]
    assert part_ranges(0, 5) == [(0, -1)]


def test_a_file_slice_reads_and_seeks_within_its_window(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(bytes(range(100)))
    with FileSlice(path, 10, 20) as part:
        assert part.read(5) == bytes(range(10, 15))
        assert part.tell() == 5
        assert part.read() == bytes(range(15, 30))
        assert part.read(3) == b""
        part.seek(0)
        assert io.BufferedReader(part).read() == bytes(range(10, 30))
    with FileSlice(path, 90, 10) as part:
        assert part.seek(0, io.SEEK_END) == 10 and part.read() == b""
        part.seek(-4, io.SEEK_END)
        assert part.read() == bytes(range(96, 100))
