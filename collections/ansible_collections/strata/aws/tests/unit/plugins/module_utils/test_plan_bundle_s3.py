# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan bundles in S3, the pure parts: encryption arguments, which lifecycle rule covers a
bundle's prefix, the rule added when none does, the files a bundle directory uploads
(against the emulator: tests/integration/plugins/modules/test_plan_bundle_s3.py)."""
from __future__ import annotations

import pytest

from ansible_collections.strata.aws.plugins.module_utils import plan_bundle_s3 as pbs


def test_sse_is_s3_managed_or_kms_with_the_key():
    assert pbs.sse_args() == {"ServerSideEncryption": "AES256"}
    assert pbs.sse_args("alias/plans") == {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/plans"}
    assert pbs.sse_problem({"ServerSideEncryption": "AES256"}) is None
    assert pbs.sse_problem({}) == "encrypted with nothing, expected AES256"
    assert pbs.sse_problem({"ServerSideEncryption": "AES256"}, "k") == "encrypted with AES256, expected aws:kms"


@pytest.mark.parametrize(("rule", "covers"), [
    ({"ID": "a", "Status": "Enabled", "Filter": {"Prefix": "plans/"}, "Expiration": {"Days": 7}}, True),
    ({"ID": "a", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 3}}, True),
    ({"ID": "a", "Status": "Enabled", "Prefix": "plans/dev/", "Expiration": {"Days": 7}}, True),
    # Expires later than asked, disabled, another prefix, a longer prefix, tags or no expiration: no.
    ({"ID": "a", "Status": "Enabled", "Filter": {"Prefix": "plans/"}, "Expiration": {"Days": 8}}, False),
    ({"ID": "a", "Status": "Disabled", "Filter": {"Prefix": "plans/"}, "Expiration": {"Days": 7}}, False),
    ({"ID": "a", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 1}}, False),
    ({"ID": "a", "Status": "Enabled", "Filter": {"Prefix": "plans/dev/42/x"}, "Expiration": {"Days": 1}}, False),
    ({"ID": "a", "Status": "Enabled", "Filter": {"And": {"Prefix": "plans/", "Tags": [{"Key": "k", "Value": "v"}]}},
      "Expiration": {"Days": 1}}, False),
    ({"ID": "a", "Status": "Enabled", "Filter": {"Prefix": "plans/"}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
     False),
    # plans/dev/4 is a string prefix of plans/dev/42 but not of its folder: a rule of plans/dev/4/ does not cover it.
    ({"ID": "a", "Status": "Enabled", "Filter": {"Prefix": "plans/dev/4/"}, "Expiration": {"Days": 1}}, False),
])
def test_which_rule_covers_a_bundle(rule, covers):
    assert (pbs.covering_rule([rule], "plans/dev/42", 7) == "a") is covers


def test_the_rule_added_keeps_every_other_rule_and_replaces_its_own():
    others = [{"ID": "expire-noncurrent-versions", "Status": "Enabled", "Filter": {},
               "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]
    merged = pbs.with_expiration(others, "reviews/dev/1", 7)
    assert merged[0] == others[0] and len(merged) == 2
    assert merged[1] == {"ID": "strata-expire-plan-bundle-reviews/dev/1", "Status": "Enabled",
                         "Filter": {"Prefix": "reviews/dev/1/"}, "Expiration": {"Days": 7},
                         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}
    again = pbs.with_expiration(merged, "reviews/dev/1", 3)
    assert len(again) == 2 and again[1]["Expiration"] == {"Days": 3}
    assert len(pbs.with_expiration([], "p" * 300, 7)[0]["ID"]) == 255


def test_a_bundle_uploads_its_files_manifest_last(tmp_path):
    with pytest.raises(pbs.PlanBundleError, match="has no manifest.json"):
        pbs.bundle_files(str(tmp_path))
    for name in ("stateless.tfplan", "manifest.json", "bootstrap.tfplan", ".manifest.json.x.tmp"):
        (tmp_path / name).write_bytes(b"x")
    assert pbs.bundle_files(str(tmp_path)) == ["bootstrap.tfplan", "stateless.tfplan", "manifest.json"]
    (tmp_path / "sub").mkdir()
    with pytest.raises(pbs.PlanBundleError, match="is not a file"):
        pbs.bundle_files(str(tmp_path))
