# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of strata.deploy's Terraform module tests: a layer that real Terraform plans and
applies on a local backend with its built-in ``terraform_data`` resource (no provider, no
network), and the modules run by ansible as a playbook runs them."""
from __future__ import annotations

import json

import pytest

from ansible_adhoc import run_module

MAIN_TF = """\
variable "label" {
  type = string
}

resource "terraform_data" "marker" {
  input = var.label
}

output "label" {
  value = terraform_data.marker.output
}
"""
LOCAL_BACKEND = 'terraform {\n  backend "local" {}\n}\n'


class Layer:
    """``terraform/<name>`` and its working copy ``work/<name>``; :meth:`run` runs a module on it."""

    def __init__(self, root):
        self.root = root
        self.source = root / "terraform" / "demo"
        self.work = root / "work" / "demo"
        self.source.mkdir(parents=True)
        (self.source / "main.tf").write_text(MAIN_TF)
        # Terraform reads no CLI configuration from the machine: the layer needs no provider.
        (root / "cli.tfrc").write_text("")
        self.secret = "s3cr3t-never-shown"  # pragma: allowlist secret

    def args(self, label="one", **extra):
        return dict({
            "project_path": str(self.work), "layer": "demo", "source_dir": str(self.source),
            "files": {"backend.tf": LOCAL_BACKEND, "strata.auto.tfvars.json": json.dumps({"label": label}) + "\n"},
            "environment": {"TF_CLI_CONFIG_FILE": str(self.root / "cli.tfrc"), "STRATA_TEST_SECRET": self.secret},
        }, **extra)

    def run(self, module, args, check=False):
        result = run_module(self.root, f"strata.deploy.{module}", args, check=check)
        assert self.secret not in json.dumps(result)
        return result

    def state(self, name="terraform.tfstate"):
        return json.loads((self.work / name).read_text())


@pytest.fixture
def layer(tmp_path):
    return Layer(tmp_path)


@pytest.fixture
def deployed(layer):
    """The layer applied once with label ``one``."""
    result = layer.run("terraform_apply", layer.args())
    assert result["applied"] is True, result
    return layer
