# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/backup_layout.py: the lines of a table file in each table format."""
from __future__ import annotations

import json

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_layout import line_item, table_line


def test_a_table_line_is_an_item_line_and_each_format_checks_its_shape():
    typed = {"pk": {"S": "ü"}, "b": {"B": "AAE="}}
    line = table_line(typed)
    assert line.endswith(b"\n") and b"\n" not in line[:-1]
    assert json.loads(line) == {"Item": typed}
    assert line_item(json.loads(line), "dynamodb_json_item") == typed
    assert line_item(typed, "strata_typed_json") == typed
    for bad in (typed, {"Item": typed, "x": 1}, {"Item": []}, []):
        with pytest.raises(ValueError, match="Item"):
            line_item(bad, "dynamodb_json_item")


def test_an_items_digest_ignores_attribute_and_set_order_and_sees_every_value():
    from ansible_collections.strata.aws.plugins.module_utils.backup_layout import item_digest

    item = {"pk": {"S": "a"}, "ss": {"SS": ["x", "y"]}, "m": {"M": {"ns": {"NS": ["1", "2"]}, "b": {"B": "AAE="}}},
            "l": {"L": [{"BS": ["AQ==", "AA=="]}]}}
    reordered = {"l": {"L": [{"BS": ["AA==", "AQ=="]}]}, "m": {"M": {"b": {"B": "AAE="}, "ns": {"NS": ["2", "1"]}}},
                 "ss": {"SS": ["y", "x"]}, "pk": {"S": "a"}}
    assert item_digest(item) == item_digest(reordered)
    assert len(item_digest(item)) == 64
    changed = dict(item, m={"M": {"ns": {"NS": ["1", "3"]}, "b": {"B": "AAE="}}})
    typed_differently = dict(item, pk={"N": "a"})
    list_reordered = dict(item, l={"L": [{"S": "1"}, {"S": "2"}]})
    variants = (item, changed, typed_differently, list_reordered, dict(list_reordered, l={"L": [{"S": "2"}, {"S": "1"}]}))
    assert len({item_digest(v) for v in variants}) == 5
