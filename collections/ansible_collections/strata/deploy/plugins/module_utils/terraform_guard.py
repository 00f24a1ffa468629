# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The data guard: a plan that destroys or replaces a table or bucket holding data is refused
before anything is applied, unless the caller backed it up and names it in ``allow_replace``.

What holds data (``terraform_plan.DATA_RESOURCE_TYPES``) and which changes lose it (the plan
summary's ``data_loss``) are read from Terraform's JSON by terraform_plan.py; this file only
decides and words the refusal.
"""
from __future__ import annotations

from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import TerraformError


def data_loss_refusal(layer, summary, allow_replace):
    """The message refusing a plan that destroys or replaces a table or bucket holding data,
    or None when there is none or every such resource is in ``allow_replace``."""
    refused = [item for item in summary["data_loss"] if item["address"] not in allow_replace]
    if not refused:
        return None
    lines = "; ".join(f"{item['address']} ({item['name']}): {item['action']}, because {item['why']}" for item in refused)
    addresses = ",".join(item["address"] for item in refused)
    return (f"Refusing to apply the {layer} layer: its plan would {'/'.join(sorted({i['action'] for i in refused}))} "
            f"resources that hold data: {lines}. Nothing was changed. If this is intended, confirm with "
            f"-e allow_replace={addresses} (strata then backs them up and verifies the backup, applies, and carries "
            f"the items or objects over into each replacement; a protected environment also needs -e confirm_replace=<env>).")


def guard(layer, summary, allow_replace):
    """Raise the refusal of :func:`data_loss_refusal` (with the plan's ``data_loss`` and
    ``summary`` as details), if there is one."""
    refusal = data_loss_refusal(layer, summary, allow_replace)
    if refusal:
        raise TerraformError(refusal, data_loss=summary["data_loss"], summary=summary)
