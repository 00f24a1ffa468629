"""Test-only callback: counts one real visit (UpdateItem ADD on the counter, as the Lambda does)
just as the counter role's conditional write starts, after the item was read and backed up.

The strategy calls ``v2_playbook_on_task_start`` in the controller before the task runs on any
host, so the visit always lands between the backup and the write, with no timing involved.
Enabled for one ansible-playbook run by the day2 scenario (molecule/day2/counter.yml) with
ANSIBLE_CALLBACK_PLUGINS and ANSIBLE_CALLBACKS_ENABLED; the table comes from
STRATA_TEST_VISIT_TABLE, the endpoint and credentials from the usual AWS variables."""
from __future__ import annotations

import os

import boto3
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: visit_before_write
type: aggregate
short_description: count one visit just before the counter's conditional write (tests only)
description:
  - Adds 1 to the counter item's viewCount of the table named by STRATA_TEST_VISIT_TABLE when the task
    "Counter | Write the new value, ..." starts.
requirements:
  - enabled in callbacks_enabled
"""

WRITE_TASK = "Counter | Write the new value"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "visit_before_write"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_task_start(self, task, is_conditional):
        if not task.get_name().split(" : ")[-1].startswith(WRITE_TASK):
            return
        table = os.environ["STRATA_TEST_VISIT_TABLE"]
        result = boto3.client("dynamodb", region_name="us-east-1").update_item(
            TableName=table, Key={"stat": {"S": "Quantity"}}, UpdateExpression="ADD #c :one",
            ExpressionAttributeNames={"#c": "viewCount"}, ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW")
        self._display.display(f"visit_before_write: one visit counted in {table} before the write, "
                              f"viewCount now {result['Attributes']['viewCount']['N']}")
