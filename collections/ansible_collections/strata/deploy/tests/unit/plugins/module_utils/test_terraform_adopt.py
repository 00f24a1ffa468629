# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What an interrupted apply created, journaled and adopted (terraform_adopt.py and
terraform_plan.adoptable_creates / imports_not_found). The adoption with real Terraform and a
real kill: tests/integration/plugins/modules/test_terraform_apply_adopt.py."""
from __future__ import annotations

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import plan_bundle as pb
from ansible_collections.strata.deploy.plugins.module_utils import terraform_adopt as adopt
from ansible_collections.strata.deploy.plugins.module_utils import terraform_plan as tp
from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import TerraformError


def change(address, kind, actions, after):
    return {"address": address, "mode": "managed", "type": kind, "change": {"actions": actions, "after": after}}


PLAN = {"resource_changes": [
    change("aws_dynamodb_table.visits", "aws_dynamodb_table", ["create"], {"name": "p-visits-dev"}),
    change("module.site.aws_s3_bucket.this", "aws_s3_bucket", ["create"], {"bucket": "p-site-dev"}),
    change("aws_lambda_permission.api", "aws_lambda_permission", ["create"],
           {"function_name": "p-counter-dev", "statement_id": "AllowApi"}),
    # Not adoptable: replaced (it is in the state), updated, an ID AWS chooses, a name not known yet.
    change("aws_s3_bucket.logs", "aws_s3_bucket", ["delete", "create"], {"bucket": "p-logs-dev"}),
    change("aws_iam_role.counter", "aws_iam_role", ["update"], {"name": "p-counter-dev"}),
    change("aws_cloudfront_distribution.site", "aws_cloudfront_distribution", ["create"], {"id": None}),
    change("aws_cloudwatch_log_group.counter", "aws_cloudwatch_log_group", ["create"], {"name": None}),
    {"address": "data.aws_caller_identity.x", "mode": "data", "type": "aws_s3_bucket",
     "change": {"actions": ["create"], "after": {"bucket": "x"}}},
]}


def test_the_creates_an_interrupted_apply_could_leave_outside_the_state():
    assert tp.adoptable_creates(PLAN) == [
        {"address": "aws_dynamodb_table.visits", "type": "aws_dynamodb_table", "id": "p-visits-dev"},
        {"address": "module.site.aws_s3_bucket.this", "type": "aws_s3_bucket", "id": "p-site-dev"},
        {"address": "aws_lambda_permission.api", "type": "aws_lambda_permission", "id": "p-counter-dev/AllowApi"},
    ]
    assert tp.adoptable_creates({}) == []


def test_the_imports_terraform_found_no_object_for_in_wrapped_output():
    stderr = ('\nError: Cannot import non-existent remote object\n\nWhile attempting to import an existing object to\n'
              '"aws_s3_bucket.logs", the provider detected that no object exists with the\ngiven id. Only pre-existing '
              'objects can be imported; check that the id is\ncorrect ...\n\nError: Cannot import non-existent remote '
              'object\n\nWhile attempting to import an existing object to "module.site.aws_s3_bucket.this", the\n'
              'provider detected that no object exists with the given id.\n')
    assert tp.imports_not_found(stderr) == ["aws_s3_bucket.logs", "module.site.aws_s3_bucket.this"]
    assert tp.imports_not_found("Error: creating S3 Bucket (x): BucketAlreadyExists") == []


def test_the_journal_is_kept_across_interrupted_applies_and_cleared_once_one_ends(tmp_path):
    work = str(tmp_path)
    assert adopt.journal(work) == []
    adopt.record(work, {"resource_changes": PLAN["resource_changes"][:1]})
    adopt.record(work, PLAN)
    assert [e["address"] for e in adopt.journal(work)] == [
        "aws_dynamodb_table.visits", "module.site.aws_s3_bucket.this", "aws_lambda_permission.api"]
    assert (tmp_path / adopt.JOURNAL).stat().st_mode & 0o777 == 0o600
    adopt.clear(work)
    assert adopt.journal(work) == [] and not (tmp_path / adopt.JOURNAL).exists()
    adopt.record(work, {"resource_changes": []})
    assert not (tmp_path / adopt.JOURNAL).exists()


def test_only_what_the_plan_creates_again_with_the_same_id_is_adopted():
    journal = [{"address": "aws_dynamodb_table.visits", "type": "aws_dynamodb_table", "id": "p-visits-dev"},
               {"address": "module.site.aws_s3_bucket.this", "type": "aws_s3_bucket", "id": "p-site-old"},
               {"address": "aws_s3_bucket.gone", "type": "aws_s3_bucket", "id": "p-gone"}]
    assert adopt.candidates(journal, PLAN) == journal[:1]
    assert adopt.import_blocks(journal[:1]) == 'import {\n  to = aws_dynamodb_table.visits\n  id = "p-visits-dev"\n}\n\n'


def test_a_journal_changed_by_hand_is_refused_with_what_to_do(tmp_path):
    (tmp_path / adopt.JOURNAL).write_text("{not json")
    with pytest.raises(TerraformError, match="is not the JSON strata writes: remove it and run again"):
        adopt.journal(str(tmp_path))


def test_a_reviewed_plan_that_creates_again_what_an_interrupted_apply_created_is_refused():
    message = pb.interrupted_refusal("stateful", [{"address": "aws_dynamodb_table.visits", "id": "p-visits-dev"}])
    assert message.startswith("Refusing to apply the reviewed plan of the stateful layer: an apply of it was interrupted")
    assert "aws_dynamodb_table.visits (p-visits-dev)" in message and "Nothing was changed." in message
    assert "Run playbooks/deploy.yml with the same inventory and no plan_bundle" in message
