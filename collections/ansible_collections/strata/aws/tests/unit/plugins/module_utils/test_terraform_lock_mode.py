# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/terraform_lock_mode.py without AWS: which lock mode a run uses, the moves refused,
which table items are locks, and why the lock table may not go."""
from __future__ import annotations

import json

import pytest

from ansible_collections.strata.aws.plugins.module_utils import terraform_lock_mode as lm

URL = "s3://b/dev/stateful/terraform.tfstate"
DEPLOY = "ansible-playbook playbooks/deploy.yml -i inventories/dev"


@pytest.mark.parametrize("recorded, target, expected", [
    (None, "lockfile", "lockfile"),      # first deploy: nothing recorded yet
    ("both", "both", "both"),
    ("dynamodb", "both", "dynamodb"),    # a migrating run locks with the old mode...
    ("both", "lockfile", "both"),        # ...the lock every run of the old configuration takes
    ("lockfile", "both", "lockfile"),    # (the lock table may not exist yet)
    ("both", "dynamodb", "both"),
])
def test_a_run_locks_with_the_recorded_mode(recorded, target, expected):
    assert lm.run_mode("stateful", recorded, target, URL, DEPLOY) == expected


@pytest.mark.parametrize("recorded, target", [("dynamodb", "lockfile"), ("lockfile", "dynamodb")])
def test_a_move_that_skips_both_is_refused_with_what_to_do(recorded, target):
    with pytest.raises(lm.LockModeError) as caught:
        lm.run_mode("stateful", recorded, target, URL, DEPLOY)
    msg = caught.value.msg
    assert f"Refusing to move the stateful state ({URL}) from lock mode {recorded} to {target} in one step" in msg
    assert "Nothing was changed" in msg
    assert f"{DEPLOY} -e strata_state_lock_mode=both" in msg
    assert f"{DEPLOY} -e strata_state_lock_mode={target}." in msg
    assert caught.value.details == {"recorded": recorded, "target": target}


def test_an_unknown_record_or_target_is_refused():
    with pytest.raises(lm.LockModeError, match="records the unknown lock mode 'dynamo'"):
        lm.run_mode("stateful", "dynamo", "both", URL, DEPLOY)
    with pytest.raises(lm.LockModeError, match="expected one of dynamodb, lockfile, both"):
        lm.run_mode("stateful", "both", "none", URL, DEPLOY)


def test_the_record_lies_next_to_the_state():
    assert lm.record_key("dev/stateful/terraform.tfstate") == "dev/stateful/terraform.tfstate.lock-mode"


def test_digest_items_are_not_locks_and_other_buckets_are_ignored():
    info = {"ID": "a1", "Operation": "OperationTypeApply", "Who": "ci@runner", "Created": "2025-01-01T11:00:00Z"}
    items = [
        {"LockID": {"S": "b/dev/stateful/terraform.tfstate-md5"}, "Digest": {"S": "0" * 32}},
        {"LockID": {"S": "b/dev/stateful/terraform.tfstate"}, "Info": {"S": json.dumps(info)}},
        {"LockID": {"S": "other/dev/stateful/terraform.tfstate"}, "Info": {"S": json.dumps(info)}},
        {"LockID": {"S": "b/dev/stateless/terraform.tfstate"}, "Info": {"S": "not json"}},
    ]
    locks = lm.lock_items(items, "b/")
    assert [(lock["lock_id"], lock["id"], lock["who"]) for lock in locks] == [
        ("b/dev/stateful/terraform.tfstate", "a1", "ci@runner"), ("b/dev/stateless/terraform.tfstate", None, None)]


def test_removal_refusal_names_the_locks_and_the_states_still_on_the_table():
    assert lm.removal_refusal("t", [], [], DEPLOY) is None
    lock = {"lock_id": "b/dev/stateful/terraform.tfstate", "id": "a1", "operation": "OperationTypeApply",
            "who": "ci@runner", "created": "2025-01-01T11:00:00Z"}
    msg = lm.removal_refusal("t", [lock], [("prod/stateful/terraform.tfstate", "both"), ("x.tfstate", None)], DEPLOY)
    assert msg.startswith("Refusing to remove the lock table t: it holds 1 lock(s): b/dev/stateful/terraform.tfstate "
                          "(lock a1, OperationTypeApply by ci@runner, created 2025-01-01T11:00:00Z)")
    assert "playbooks/unlock.yml" in msg
    assert "prod/stateful/terraform.tfstate (both), x.tfstate (no recorded mode)" in msg
    assert msg.endswith(f"Nothing was changed; the table stays. Then run again: {DEPLOY}.")


def test_a_state_bucket_these_credentials_may_not_read_is_refused_with_what_to_do():
    import botocore.session
    from botocore.stub import Stubber

    s3 = botocore.session.get_session().create_client(
        "s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(s3) as stub:
        stub.add_client_error("head_bucket", service_error_code="403", http_status_code=403)
        stub.add_client_error("head_bucket", service_error_code="404", http_status_code=404)
        with pytest.raises(lm.LockModeError) as refused:
            lm.bucket_exists(s3, "strata-tfstate-123456789012")
        assert lm.bucket_exists(s3, "strata-tfstate-123456789012") is False
    assert "'strata-tfstate-123456789012' exists but these credentials may not read it (HTTP 403)" in refused.value.msg
    assert "-e strata_state_bucket=<name>" in refused.value.msg and "Nothing was changed." in refused.value.msg
