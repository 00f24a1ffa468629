# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/protection.py without AWS: which missing protections are reported, and items as
plain values."""
from __future__ import annotations

from decimal import Decimal

from ansible_collections.strata.aws.plugins.module_utils import protection

BLOCKED = dict.fromkeys(protection.BLOCK_SETTINGS, True)


FULLY_BLOCKED = object()  # a default argument that is not a shared mutable dict


def bucket(versioning="Enabled", block=FULLY_BLOCKED, exists=True):
    return {"exists": exists, "versioning": versioning, "public_access_block": dict(BLOCKED) if block is FULLY_BLOCKED else block}


def table(pitr=True, protected=True, exists=True):
    return {"exists": exists, "point_in_time_recovery": pitr, "deletion_protection": protected, "key": ["stat"]}


def test_nothing_missing():
    assert protection.problems({"b": bucket()}, {"t": table()}, [{"table": "t", "key": {"stat": "Q"}, "present": True}],
                               expect_pitr=True, expect_deletion_protection=True) == []


def test_every_missing_protection_is_named():
    found = protection.problems(
        {"a": bucket(versioning="Suspended"), "b": bucket(block=None), "c": bucket(block=dict(BLOCKED, BlockPublicPolicy=False)),
         "d": bucket(exists=False)},
        {"t": table(pitr=False, protected=False), "gone": table(exists=False)},
        [{"table": "t", "key": {"stat": "Quantity"}, "present": False}],
        expect_pitr=True, expect_deletion_protection=True)
    assert found == [
        "bucket a: versioning is Suspended (expected Enabled)",
        "bucket b: no public access block (expected all four settings on)",
        "bucket c: public access block settings off: BlockPublicPolicy",
        "bucket d does not exist",
        "table t: point-in-time recovery is off (the inventory asks for it)",
        "table t: deletion protection is off (the inventory asks for it)",
        "table gone does not exist",
        "table t: seed item {'stat': 'Quantity'} is missing",
    ]


def test_pitr_and_deletion_protection_only_when_asked():
    assert protection.problems({}, {"t": table(pitr=False, protected=False)}, []) == []


def test_plain_values():
    assert protection.plain({"n": Decimal("3"), "f": Decimal("1.5"), "ss": {"b", "a"}, "l": [Decimal("1")]}) == \
        {"n": 3, "f": 1.5, "ss": ["a", "b"], "l": [1]}
