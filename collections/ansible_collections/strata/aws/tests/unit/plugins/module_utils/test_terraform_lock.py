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


def _held(layer, lock_id, *places):
    return dict(tl.group_locks([(place, tl.describe(place, info(lock_id), NOW)) for place in places])[0], layer=layer)


def test_choose_releases_takes_only_held_ids_and_refuses_before_releasing_anything():
    locks = [_held("stateful", "a1", "dynamodb", "lockfile"), _held("bootstrap", "b2", "lockfile")]
    assert [lock["held_in"] for lock in tl.choose_releases(locks, ["a1"], "stateful state")] == [["dynamodb", "lockfile"]]
    assert [lock["id"] for lock in tl.choose_releases(locks, ["b2", "a1", "b2"], "states of dev")] == ["b2", "a1"]
    with pytest.raises(tl.LockError) as refused:
        tl.choose_releases(locks, ["a1", "wrong"], "states of dev")
    assert "ID wrong is not the lock that is held on the states of dev" in refused.value.msg
    assert "stateful lock a1" in refused.value.msg and "bootstrap lock b2" in refused.value.msg
    assert "-e confirm_unlock=<a1,b2>" in refused.value.msg and "Nothing was changed" in refused.value.msg
    with pytest.raises(tl.LockError) as none:
        tl.choose_releases([], ["a1"], "stateless state")
    assert "No lock is held on the stateless state" in none.value.msg


def test_choose_releases_of_an_unreadable_lock():
    locks = [dict(tl.describe("lockfile", {"ID": None, "raw": "x"}, NOW), raw="x", layer="stateful")]
    assert tl.choose_releases(locks, ["unreadable"], "stateful state") == [locks[0]]


def test_each_lock_gets_the_command_that_releases_it_and_several_one_command_for_all():
    command = "ansible-playbook playbooks/unlock.yml -i inventories/dev"
    locks = tl.with_commands([_held("bootstrap", "b2", "lockfile"), _held("stateful", "a1", "dynamodb")], command)
    assert locks[1]["command"] == command + " -e layer=stateful -e confirm_unlock=a1"
    lines = tl.held_lines("dev", locks, command)
    assert lines[0] == "2 lock(s) held on the states of dev; nothing was changed:"
    assert lines[1].startswith("bootstrap lock b2: OperationTypeApply by ci@runner")
    assert lines[1].endswith("Release it with: " + command + " -e layer=bootstrap -e confirm_unlock=b2")
    assert lines[3] == "Or release them all at once: " + command + " -e confirm_unlock=b2,a1"
    one = tl.held_lines("dev", locks[:1], command)
    assert not any("all at once" in line for line in one)
    assert tl.held_lines("dev", [], command) == ["No lock is held on any state of dev: nothing to release."]
    state = {"layer": "stateful", "bucket": "b", "key": "dev/stateful/terraform.tfstate"}
    assert tl.held_lines("dev", locks[1:], command, state)[0] == \
        "The stateful state of dev (s3://b/dev/stateful/terraform.tfstate) is locked; nothing was changed:"
    assert tl.released_lines("dev", [{"layer": "stateful", "id": "a1", "held_in": ["dynamodb", "lockfile"]}]) == \
        ["Released the stateful lock a1 of dev from the lock table and the .tflock object."]
    assert tl.released_lines("dev", [{"layer": "bootstrap", "id": None, "held_in": ["lockfile"]}], check_mode=True) == \
        ["Would release the bootstrap lock unreadable of dev from the .tflock object."]
    unreadable = dict(tl.describe("lockfile", {"ID": None, "raw": "x"}, NOW), raw="x", layer="stateless")
    assert tl.with_commands([unreadable], command)[0]["command"].endswith("-e layer=stateless -e confirm_unlock=unreadable")


def test_a_run_that_met_a_lock_names_it_its_command_and_the_other_locks():
    command = "ansible-playbook playbooks/unlock.yml -i inventories/dev"
    locks = tl.with_commands([_held("bootstrap", "b2", "lockfile"), _held("stateful", "a1", "dynamodb")], command)
    lines = tl.met_lines("dev", "stateful", "a1", 300, locks, command)
    assert lines[0].startswith("The stateful state of dev is locked by another run (lock a1, OperationTypeApply by ci@runner")
    assert "waited 300 s for it (terraform_layer_lock_timeout) and changed nothing in the stateful layer" in lines[0]
    assert lines[2] == f"If it died, release its lock with: {command} -e layer=stateful -e confirm_unlock=a1 " \
                       "and then run the same command again."
    assert lines[3] == "Other locks held on the states of dev:" and lines[4].startswith("bootstrap lock b2:")
    alone = tl.met_lines("dev", "stateful", "a1", 0, locks[1:], command)
    assert len(alone) == 3
    gone = tl.met_lines("dev", "stateful", "zz", 5, locks[1:], command)
    assert "lock zz, released since" in gone[0] and not any("If it died" in line for line in gone)


def test_new_lock_info_is_terraforms_shape_with_a_fresh_id():
    first = tl.new_lock_info("b/k", "OperationTypeApply", who="me@host", now=NOW)
    second = tl.new_lock_info("b/k", "OperationTypeApply", who="me@host", now=NOW)
    assert set(first) == {"ID", "Operation", "Info", "Who", "Version", "Created", "Path"}
    assert first["ID"] != second["ID"] and first["Created"] == "2025-01-01T12:00:00.000000Z"
    assert tl.parse_time(first["Created"]) == NOW
