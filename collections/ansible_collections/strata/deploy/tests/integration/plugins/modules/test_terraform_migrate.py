# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.terraform_migrate run by ansible with real Terraform: the state moves to the
backend backend.tf now names (here another local file) without a prompt, the init is recorded so
that the next run does not initialise again, and check mode runs nothing."""
from __future__ import annotations

MOVED_BACKEND = 'terraform {\n  backend "local" {\n    path = "moved.tfstate"\n  }\n}\n'


def migrate_args(layer):
    args = layer.args()
    return {key: args[key] for key in ("project_path", "layer", "environment")}


def test_the_state_moves_without_a_prompt_and_the_next_run_needs_no_init(deployed):
    (deployed.work / "backend.tf").write_text(MOVED_BACKEND)
    checked = deployed.run("terraform_migrate", migrate_args(deployed), check=True)
    assert checked["changed"] is True and checked["commands"] == []
    assert not (deployed.work / "moved.tfstate").exists()

    moved = deployed.run("terraform_migrate", migrate_args(deployed))
    assert moved["changed"] is True and moved["commands"] == ["init"]
    assert moved["line"].startswith("demo: migrate 0 to add, 0 to change, 0 to destroy (")
    assert "synced" not in moved and "initialised" not in moved
    assert deployed.state("moved.tfstate")["outputs"]["label"]["value"] == "one"

    args = deployed.args()
    args["files"]["backend.tf"] = MOVED_BACKEND
    read = deployed.run("terraform_info", args)
    assert read["commands"] == ["state"] and read["outputs"] == {"label": "one"}
