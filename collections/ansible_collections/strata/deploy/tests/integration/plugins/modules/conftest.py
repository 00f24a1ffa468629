# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of strata.deploy's Terraform module tests: a layer that real Terraform plans and
applies on a local backend with its built-in ``terraform_data`` resource (no provider, no
network), or with the real AWS provider against the emulator (:func:`aws_layer`), and the
modules run by ansible as a playbook runs them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_adhoc import run_module
from ansible_collections.strata.deploy.plugins.module_utils.terraform_toolchain import find_mirror, render_config

ROOT = Path(__file__).resolve().parents[8]
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
AWS_PROVIDER_VERSION = "5.100.0"  # the preflight's strata_terraform_provider_version
# The configuration's head in aws_layer: the AWS provider against the emulator and the input variable label.
AWS_HEAD_TF = f"""\
terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "{AWS_PROVIDER_VERSION}"
    }}
  }}
}}

provider "aws" {{
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
}}

variable "label" {{
  type = string
}}
"""

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


@pytest.fixture
def aws_layer(layer, emulator_endpoint):
    """The layer with the real AWS provider (from this machine's filesystem mirror, through the
    project's plugin cache) against the emulator; ``aws_layer.head`` is the configuration's head
    (AWS_HEAD_TF), which a test's ``main.tf`` starts with."""
    mirror = find_mirror(AWS_PROVIDER, AWS_PROVIDER_VERSION)
    assert mirror, f"the AWS provider {AWS_PROVIDER_VERSION} is not in a filesystem mirror on this machine (see DESIGN.md)"
    cache = ROOT / ".strata" / "terraform" / "plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    (layer.root / "cli.tfrc").write_text(render_config(mirror, [AWS_PROVIDER], str(cache)))
    layer.head = AWS_HEAD_TF
    return layer
