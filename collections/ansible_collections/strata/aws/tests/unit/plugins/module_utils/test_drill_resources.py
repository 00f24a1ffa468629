# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/drill_resources.py: what counts as a drill's scratch resource (pure logic, no AWS)."""
from __future__ import annotations

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError
from ansible_collections.strata.aws.plugins.module_utils.drill_resources import is_scratch


def test_a_scratch_resource_has_both_the_name_prefix_and_the_tag():
    tag = {"strata:drill": "dev"}
    assert is_scratch("strata-drill-dev-20250101t000000z", tag, "strata-drill-dev-", "strata:drill", "dev")
    assert not is_scratch("strata-drill-dev-20250101t000000z", {}, "strata-drill-dev-", "strata:drill", "dev")
    assert not is_scratch("strata-drill-dev-x", {"strata:drill": "prod"}, "strata-drill-dev-", "strata:drill", "dev")
    assert not is_scratch("strata-visits-dev", tag, "strata-drill-dev-", "strata:drill", "dev")


def test_an_empty_prefix_or_tag_key_is_refused():
    with pytest.raises(BackupError, match="both are needed"):
        is_scratch("anything", {"strata:drill": "dev"}, "", "strata:drill", "dev")
    with pytest.raises(BackupError, match="both are needed"):
        is_scratch("anything", {}, "strata-drill-dev-", "", "dev")
