#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: read, back up and conditionally set one counter attribute of a DynamoDB item."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: dynamodb_counter
short_description: Read, back up and conditionally set a counter attribute of one DynamoDB item
description:
  - Reads the item at O(key) of O(table) with a strongly consistent C(GetItem) and returns it,
    with the whole-number value of its O(attribute) (the visitor counter's C(viewCount)).
  - With O(backup), saves the item as read into that backup directory exactly as
    M(strata.aws.dynamodb_backup) saves a table (C(dynamodb/<table>.jsonl.gz), one
    C({"Item":{...}}) line, and a part record), so that M(strata.aws.backup_manifest)
    completes the backup, M(strata.aws.backup_verify) checks it and
    M(strata.aws.dynamodb_restore) (C(playbooks/restore.yml)) puts the item back. An absent item
    gives a backup of no item.
  - With O(value), sets O(attribute) to O(value) with C(UpdateItem), on the condition that it
    still holds O(expected) (the value read and backed up before). When it does not (a visit
    was counted in between, or the item is gone) nothing is written and the module fails,
    saying what the attribute holds now and to run again. A write never creates the item.
  - O(backup) and O(value) may be given together (the backup is taken first, the write is
    conditional on O(expected)); C(playbooks/counter.yml) calls the module twice instead, to
    write and verify the backup's manifest in between.
version_added: 0.3.0
author: strata maintainers (@strata-deploy)
options:
  table:
    description: The table.
    type: str
    required: true
  key:
    description: "The item's key in plain form, for example C({stat: Quantity})."
    type: dict
    required: true
  attribute:
    description: The numeric attribute holding the counter.
    type: str
    default: viewCount
  backup:
    description:
      - A backup directory (created if needed) to save the item into before anything else; it
        must not hold a finished backup (a C(manifest.json)).
    type: path
  value:
    description: The whole number (0 or more) to set O(attribute) to. Needs O(expected).
    type: int
  expected:
    description: The value O(attribute) must hold for the write to happen. Required with O(value).
    type: int
seealso:
  - module: strata.aws.backup_manifest
  - module: strata.aws.backup_verify
  - module: strata.aws.dynamodb_restore
notes:
  - Supports check mode; it reads, and reports the change O(value) would make, but writes
    neither the backup nor the item.
  - Needs C(dynamodb:DescribeTable) and C(dynamodb:GetItem); with O(backup),
    C(sts:GetCallerIdentity) (and C(dynamodb:DescribeContinuousBackups) to record the
    point-in-time recovery window); with O(value), C(dynamodb:UpdateItem).
extends_documentation_fragment:
  - strata.aws.attributes
  - strata.aws.attributes.platform
  - ansible.builtin.action_common_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - strata.aws.aws_connection
"""

EXAMPLES = r"""
- name: Read the counter
  strata.aws.dynamodb_counter:
    table: strata-visits-dev
    key: {stat: Quantity}
  register: counter

- name: Save the item into a new backup
  strata.aws.dynamodb_counter:
    table: strata-visits-dev
    key: {stat: Quantity}
    backup: backups/counter/dev/20260101T000000Z
  register: saved

- name: Set the counter to 100 unless it changed since it was saved
  strata.aws.dynamodb_counter:
    table: strata-visits-dev
    key: {stat: Quantity}
    value: 100
    expected: "{{ saved.value }}"
"""

RETURN = r"""
table:
  description: The table.
  returned: always
  type: str
  sample: strata-visits-dev
key:
  description: The item's key.
  returned: always
  type: dict
  sample: {stat: Quantity}
attribute:
  description: The counter attribute.
  returned: always
  type: str
  sample: viewCount
present:
  description: Whether the item exists (when read, before any write).
  returned: always
  type: bool
  sample: true
item:
  description: The item as read, before any write, in plain form; null when absent.
  returned: always
  type: dict
  sample: {stat: Quantity, viewCount: 42}
value:
  description: The whole-number value of O(attribute) as read, before any write; null when the item or the attribute is absent or not a whole number.
  returned: always
  type: int
  sample: 42
backup:
  description: The table file written into O(backup) (its manifest entry and absolute C(path)).
  returned: when O(backup) is given and not in check mode
  type: dict
  sample: {name: strata-visits-dev, item_count: 1, file: dynamodb/strata-visits-dev.jsonl.gz, bytes: 64,
           sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, table_format: dynamodb_json_item,
           pitr: null, path: /srv/strata/backups/counter/dev/20260101T000000Z/dynamodb/strata-visits-dev.jsonl.gz}
written:
  description: Whether O(attribute) was set (false in check mode and when it already held O(value)).
  returned: always
  type: bool
  sample: true
current:
  description: On a refused write, what O(attribute) holds now (null when absent).
  returned: when the condition failed
  type: int
  sample: 43
"""

from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run, source
from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import describe
from ansible_collections.strata.aws.plugins.module_utils.dynamodb_counter import (
    CounterError,
    backup_item,
    describe_key,
    key_of,
    read_item,
    set_if_unchanged,
    summary,
)


def counter(module):
    params = module.params
    table, key, attribute = params["table"], params["key"], params["attribute"]
    key_of(key)  # a bad key fails before any call
    dynamodb = client(module, "dynamodb")
    describe(dynamodb, table, params["retries"])
    typed = read_item(dynamodb, table, key, params["retries"])
    item, value = summary(typed, attribute)
    result = {"changed": False, "table": table, "key": key, "attribute": attribute,
              "present": typed is not None, "item": item, "value": value, "written": False}
    if params["backup"]:
        saved = backup_item(dynamodb, table, typed, params["backup"],
                            None if module.check_mode else source(module, dynamodb),
                            params["retries"], check_mode=module.check_mode)
        result["changed"] = not module.check_mode
        if not module.check_mode:
            result["backup"] = saved
    new = params["value"]
    if new is not None and new != params["expected"]:
        if module.check_mode:
            if value != params["expected"]:
                raise CounterError(
                    f"table {table}, item {describe_key(key)}: {attribute} is {value}, not {params['expected']} as expected; "
                    "nothing would be written", current=value)
        else:
            set_if_unchanged(dynamodb, table, key, attribute, new, params["expected"], params["retries"])
            result["written"] = True
        result["changed"] = True
        result["diff"] = {"before": {attribute: value}, "after": {attribute: new}}
    return result


def main():
    run(
        {
            "table": {"type": "str", "required": True},
            "key": {"type": "dict", "required": True, "no_log": False},
            "attribute": {"type": "str", "default": "viewCount"},
            "backup": {"type": "path"},
            "value": {"type": "int"},
            "expected": {"type": "int"},
        },
        counter,
        minimums={"value": 0},
        required_by={"value": ["expected"]},
    )


if __name__ == "__main__":
    main()
