# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/terraform_lock.py without AWS: Terraform's lock JSON and times, ages, grouping
the places a lock is held by ID, and which release is allowed."""
from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.strata.aws.plugins.module_utils import terraform_lock as tl

NOW = datetime.datetime(2025, 1, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def info(lock_id="a1", created="2025-01-01T11:47:55.123456789Z", who="ci@runner", op="OperationTypeApply"):
    return {"ID": lock_id, "Operation": op, "Info": "", "Who": who, "Version": "1.11.4",
            "Created": created, "Path": "b/dev/stateful/terraform.tfstate"}


def test_names_of_the_lock_places_and_the_digest_item():
    assert tl.lock_item_id("b", "dev/stateful/terraform.tfstate") == "b/dev/stateful/terraform.tfstate"
    assert tl.digest_item_id("b", "k") == "b/k-md5"
    assert tl.lockfile_key("dev/stateful/terraform.tfstate") == "dev/stateful/terraform.tfstate.tflock"


@pytest.mark.parametrize("text, expected", [
    ("2025-01-01T11:47:55.123456789Z", datetime.datetime(2025, 1, 1, 11, 47, 55, 123456, tzinfo=datetime.timezone.utc)),
    ("2025-01-01T11:47:55Z", datetime.datetime(2025, 1, 1, 11, 47, 55, tzinfo=datetime.timezone.utc)),
    ("2025-01-01T13:47:55.5+02:00", datetime.datetime(2025, 1, 1, 11, 47, 55, 500000, tzinfo=datetime.timezone.utc)),
    ("not a time", None),
    ("", None),
    (None, None),
])
def test_parse_time_reads_terraforms_nanoseconds_and_offsets(text, expected):
    assert tl.parse_time(text) == expected


@pytest.mark.parametrize("seconds, text", [(None, "unknown"), (-3, "0s"), (45, "45s"), (725, "12m 5s"),
                                           (3 * 3600 + 150, "3h 2m"), (4 * 86400 + 3700, "4d 1h")])
def test_human_age(seconds, text):
    assert tl.human_age(seconds) == text


def test_parse_info_keeps_an_unreadable_lock_as_a_lock():
    assert tl.parse_info(json.dumps(info()).encode())["ID"] == "a1"
    assert tl.parse_info("garbage") == {"ID": None, "raw": "garbage"}
    assert tl.parse_info("[1]")["ID"] is None


def test_describe_gives_age_and_place():
    lock = tl.describe("dynamodb", info(), NOW)
    assert (lock["id"], lock["who"], lock["operation"], lock["age_seconds"], lock["age"], lock["held_in"]) == \
        ("a1", "ci@runner", "OperationTypeApply", 724, "12m 4s", ["dynamodb"])
    assert tl.describe("lockfile", info(created="?"), NOW)["age"] == "unknown"


def test_group_locks_merges_one_id_held_in_both_places_and_keeps_others_apart():
    one = tl.group_locks([("lockfile", tl.describe("lockfile", info(), NOW)),
                          ("dynamodb", tl.describe("dynamodb", info(), NOW))])
    assert len(one) == 1 and one[0]["held_in"] == ["dynamodb", "lockfile"]
    two = tl.group_locks([("dynamodb", tl.describe("dynamodb", info("a1"), NOW)),
                          ("lockfile", tl.describe("lockfile", info("b2"), NOW))])
    assert [(lock["id"], lock["held_in"]) for lock in two] == [("a1", ["dynamodb"]), ("b2", ["lockfile"])]
    unreadable = tl.group_locks([("dynamodb", tl.describe("dynamodb", {"ID": None}, NOW)),
                                 ("lockfile", tl.describe("lockfile", {"ID": None}, NOW))])
    assert len(unreadable) == 2


def test_describe_line_names_layer_lock_holder_age_and_places():
    lock = tl.group_locks([("dynamodb", tl.describe("dynamodb", info(), NOW))])[0]
    line = tl.describe_line("stateful", lock)
    assert line == ("stateful lock a1: OperationTypeApply by ci@runner, created 2025-01-01T11:47:55.123456789Z "
                    "(12m 4s ago), held in the lock table")


def test_choose_release_takes_only_the_held_id():
    locks = tl.group_locks([("dynamodb", tl.describe("dynamodb", info("a1"), NOW)),
                            ("lockfile", tl.describe("lockfile", info("a1"), NOW))])
    assert tl.choose_release("stateful", locks, "a1")["held_in"] == ["dynamodb", "lockfile"]
    with pytest.raises(tl.LockError) as refused:
        tl.choose_release("stateful", locks, "wrong")
    assert "ID wrong is not the lock that is held" in refused.value.msg
    assert "stateful lock a1" in refused.value.msg and "-e confirm_unlock=<a1>" in refused.value.msg
    assert "Nothing was changed" in refused.value.msg
    with pytest.raises(tl.LockError) as none:
        tl.choose_release("stateless", [], "a1")
    assert "holds no lock" in none.value.msg


def test_choose_release_of_an_unreadable_lock():
    locks = [dict(tl.describe("lockfile", {"ID": None, "raw": "x"}, NOW), raw="x")]
    assert tl.choose_release("stateful", locks, "unreadable") is locks[0]


def test_new_lock_info_is_terraforms_shape_with_a_fresh_id():
    first = tl.new_lock_info("b/k", "OperationTypeApply", who="me@host", now=NOW)
    second = tl.new_lock_info("b/k", "OperationTypeApply", who="me@host", now=NOW)
    assert set(first) == {"ID", "Operation", "Info", "Who", "Version", "Created", "Path"}
    assert first["ID"] != second["ID"] and first["Created"] == "2025-01-01T12:00:00.000000Z"
    assert tl.parse_time(first["Created"]) == NOW
