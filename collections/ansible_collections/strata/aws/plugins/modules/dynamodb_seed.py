#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: write DynamoDB items only where their key is absent."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: dynamodb_seed
short_description: Write DynamoDB items only where their key is absent
description:
  - Seeds a DynamoDB table without ever overwriting data, so a redeploy never resets a value.
  - Reads the table's key schema, validates every item's key attributes before writing anything,
    finds which keys already exist with C(BatchGetItem) (100 keys per request, unprocessed keys
    retried with backoff), and writes only the missing items.
  - Each write is a C(PutItem) with C(attribute_not_exists) on the hash key; an item created by
    someone else between the read and the write is left alone and reported as present.
  - Items already in the table are never changed, even when their attribute values differ
    from the ones given here.
version_added: 0.1.0
author: strata maintainers (@strata-deploy)
options:
  table:
    description: Name of the DynamoDB table to seed. It must already exist.
    type: str
    required: true
  items:
    description:
      - 'Items in plain JSON form, for example C({"stat": "Quantity", "viewCount": 0}).'
      - Values are converted with boto3's TypeSerializer (strings to C(S), numbers to C(N),
        booleans to C(BOOL), null to C(NULL), lists to C(L), mappings to C(M)); floats become
        exact decimals.
      - Every item must carry the table's key attributes with the key's type, and each key
        may appear only once. YAML and JSON have no bytes type, so tables with a binary (C(B))
        key cannot be seeded through this module.
    type: list
    elements: dict
    required: true
notes:
  - "IAM actions needed: C(dynamodb:DescribeTable), C(dynamodb:BatchGetItem), C(dynamodb:PutItem)."
  - In check mode the module reads the table and reports in RV(written) what it would write.
  - O(retries) also bounds the rounds of C(BatchGetItem) retries for unprocessed keys.
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
- name: Seed the visitor counter without resetting it
  strata.aws.dynamodb_seed:
    table: strata-visits-dev
    items:
      - stat: Quantity
        viewCount: 0

- name: Seed a table with a composite key against a local emulator
  strata.aws.dynamodb_seed:
    table: strata-settings-local
    region: us-east-1
    endpoint_url: http://127.0.0.1:4566
    items:
      - {pk: site, sk: theme, value: light}
      - {pk: site, sk: ratio, value: 0.75}
  register: seeded
"""

RETURN = r"""
written:
  description:
    - Keys of the items written (in check mode, the items that would be written), in input order.
  returned: always
  type: list
  elements: dict
  sample: [{"stat": "Quantity"}]
present:
  description: Keys of the items that were already in the table and were left untouched.
  returned: always
  type: list
  elements: dict
  sample: []
table:
  description: Name of the table seeded.
  returned: always
  type: str
  sample: strata-visits-dev
"""

from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run
from ansible_collections.strata.aws.plugins.module_utils.dynamodb_seed import SeedError, Seeder


def seed(module):
    params = module.params
    if not params["table"]:
        raise SeedError("table: expected the name of a DynamoDB table, got an empty string", table=params["table"])
    try:
        seeder = Seeder(client(module, "dynamodb"), params["table"], unprocessed_retries=params["retries"])
        result = seeder.seed(params["items"], check_mode=module.check_mode)
    except SeedError as err:
        raise SeedError(err.msg, table=params["table"]) from err
    return dict(result, changed=bool(result["written"]), table=params["table"])


def main():
    run(
        {
            "table": {"type": "str", "required": True},
            "items": {"type": "list", "elements": "dict", "required": True},
        },
        seed,
    )


if __name__ == "__main__":
    main()
