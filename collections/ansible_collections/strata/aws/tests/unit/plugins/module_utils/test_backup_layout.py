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
