# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for plan bundles: where a bundle lives in S3 (module_utils/plan_bundle.py holds the logic)."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.strata.deploy.plugins.module_utils.plan_bundle import BundleError, bundle_location


def plan_bundle_location(given, env, state_bucket, job_id="", write=False):
    """See plan_bundle_location.yml."""
    try:
        return bundle_location(given, env, state_bucket, job_id=job_id, write=write)
    except BundleError as exc:
        raise AnsibleFilterError(exc.msg + " Nothing was changed.") from None


class FilterModule:
    def filters(self):
        return {"plan_bundle_location": plan_bundle_location}
