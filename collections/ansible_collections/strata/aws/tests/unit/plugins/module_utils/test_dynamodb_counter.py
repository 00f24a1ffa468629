# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of strata.aws's dynamodb_counter: keys, whole numbers, the refusal message.
Against the emulator: tests/integration/plugins/modules/test_dynamodb_counter.py."""
from __future__ import annotations

import pytest

from ansible_collections.strata.aws.plugins.module_utils.dynamodb_counter import (
    CounterError,
    key_of,
    refusal,
    summary,
    whole_number,
)


def test_key_of_types_strings_and_numbers():
    assert key_of({"stat": "Quantity"}) == {"stat": {"S": "Quantity"}}
    assert key_of({"id": 7}) == {"id": {"N": "7"}}


@pytest.mark.parametrize("key", [{}, None, {"stat": ""}, {"stat": True}, {"stat": 1.5}, {"stat": ["a"]}])
def test_key_of_refuses_what_is_not_a_key(key):
    with pytest.raises(CounterError):
        key_of(key)


@pytest.mark.parametrize("typed, expected", [
    ({"N": "42"}, 42), ({"N": "0"}, 0), ({"N": "4.0"}, 4),
    ({"N": "12345678901234567890123456789012345678"}, 12345678901234567890123456789012345678),
    ({"N": "4.5"}, None), ({"S": "42"}, None), (None, None),
])
def test_whole_number(typed, expected):
    assert whole_number(typed) == expected


def test_summary_gives_the_plain_item_and_the_value():
    assert summary({"stat": {"S": "Quantity"}, "viewCount": {"N": "3"}}, "viewCount") == (
        {"stat": "Quantity", "viewCount": 3}, 3)
    assert summary({"stat": {"S": "Quantity"}}, "viewCount") == ({"stat": "Quantity"}, None)
    assert summary(None, "viewCount") == (None, None)


def test_refusal_says_what_the_item_holds_now_and_what_next():
    key = {"stat": "Quantity"}
    changed = refusal("t", key, "viewCount", 42, {"stat": {"S": "Quantity"}, "viewCount": {"N": "43"}})
    assert changed.startswith('table t, item {"stat": "Quantity"}: viewCount is 43 now, not 42 as it was read and backed up')
    assert "Nothing was written. Run the command again" in changed
    assert "the item is gone now" in refusal("t", key, "viewCount", 42, None)
    assert "the item has no viewCount now" in refusal("t", key, "viewCount", 42, {"stat": {"S": "Quantity"}})
