# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/backup_compare.py: what differs between a backup and what was restored (pure logic, no AWS)."""
from __future__ import annotations

from ansible_collections.strata.aws.plugins.module_utils.backup_compare import (
    compare,
    item_id,
    object_record,
    problems_of,
)


def test_an_item_is_named_by_its_key_attributes():
    assert item_id({"stat": {"S": "Quantity"}, "n": {"N": "1"}}, ["stat"]) == "stat=Quantity"
    assert item_id({"pk": {"S": "a"}, "at": {"N": "3"}}, ["pk", "at"]) == "pk=a, at=3"
    assert item_id({"other": {"S": "x"}}, ["pk"]) == "pk=?"


def test_the_same_items_and_objects_differ_in_nothing():
    assert compare({"a": "d1", "b": "d2"}, {"b": "d2", "a": "d1"}, "item") == {
        "missing": [], "unexpected": [], "different": []}
    assert problems_of("table", "t", "s", compare({"a": "d1"}, {"a": "d1"}, "item"), 1, 1) == []


def test_missing_extra_and_changed_items_are_each_named():
    difference = compare({"a": "d1", "b": "d2", "c": "d3"}, {"a": "d1", "c": "XX", "z": "d9"}, "item")
    assert difference == {"missing": ["b"], "unexpected": ["z"],
                          "different": [{"id": "c", "problem": "item checksum is XX, the backup's is d3"}]}
    problems = problems_of("table", "scratch", "live", difference, 3, 3)
    assert problems == [
        "table scratch: 1 items of the backup missing: b",
        "table scratch: 1 items not in the backup: z",
        "table scratch: c: item checksum is XX, the backup's is d3",
    ]
    assert problems_of("table", "scratch", "live", difference, 4, 3)[0] == (
        "table scratch: holds 3 items, the backup's live holds 4")


def test_an_objects_fields_are_compared_one_by_one():
    recorded = object_record({"key": "k", "size": 3, "sha256": "aa", "content_type": "text/html",
                              "metadata": {"alt": "logo"}, "md5": "ignored", "etag": "ignored"})
    assert set(recorded) == {"size", "sha256", "content_type", "cache_control", "content_encoding",
                             "content_disposition", "content_language", "metadata"}
    read_back = dict(recorded, sha256="bb", metadata={"alt": "other", "new": "x"}, content_type="text/plain")
    [different] = compare({"k": recorded}, {"k": read_back}, "object")["different"]
    problem = ("content_type is 'text/plain', the backup has 'text/html'; metadata differs (alt, new); "
               "sha256 is 'bb', the backup has 'aa'")
    assert different == {"id": "k", "problem": problem}


def test_many_differences_are_counted_beyond_the_twenty_named():
    expected = {f"k{i:03d}": "d" for i in range(30)}
    problems = problems_of("bucket", "b", "site", compare(expected, {}, "object"), 30, 0)
    assert problems[0] == "bucket b: holds 0 objects, the backup's site holds 30"
    assert problems[1].startswith("bucket b: 30 objects of the backup missing: k000, k001,")
    assert problems[1].endswith("k019 and 10 more")


def test_the_items_digest_is_checked_against_the_manifest_whatever_the_order():
    from ansible_collections.strata.aws.plugins.module_utils.backup_compare import combined, items_problems

    digests = [f"{i:064x}" for i in (1, 2, 2 ** 255)]
    recorded = combined(digests)
    assert combined(reversed(digests)) == recorded and len(recorded) == 64
    assert items_problems("t", "s", recorded, digests, list(reversed(digests))) == []
    forged = digests[:2] + [f"{3:064x}"]
    problems = items_problems("t", "s", recorded, forged, forged)
    assert problems[0].startswith("table t: the backup's table file of s does not hold the items the backup recorded")
    assert problems[0].endswith("the file was changed after the backup was taken")
    assert problems[1].startswith("table t: its items' digest is ")
