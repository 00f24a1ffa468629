# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of strata.deploy's module_utils tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def work(tmp_path):
    """A layer's working copy as strata leaves it (``<tmp>/work/stateful``): a local backend, a
    configuration calling a module beside it (``../modules``) and the input variables."""
    work = tmp_path / "work" / "stateful"
    work.mkdir(parents=True)
    (work / "backend.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    (work / "main.tf").write_text('module "site" {\n  source = "../modules/private_bucket"\n}\n')
    (work / "strata.auto.tfvars.json").write_text('{"env": "dev"}\n')
    return work
