# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module of strata.deploy documents itself: ansible-doc renders DOCUMENTATION, EXAMPLES
and RETURN with the collection's doc fragments resolved; the Terraform modules document the
options of module_utils/terraform_module.py exactly, and their action group holds those that
take them all; the old name terraform_run resolves, to terraform_apply."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_adhoc import REPO
from ansible_collections.strata.deploy.plugins.module_utils import terraform_module as tm

COLLECTION = REPO / "collections" / "ansible_collections" / "strata" / "deploy"
MODULES = sorted(p.stem for p in (COLLECTION / "plugins" / "modules").glob("*.py"))
TERRAFORM_MODULES = {
    "terraform_apply": {**tm.TERRAFORM_OPTIONS, **tm.WORKING_COPY_OPTIONS, **tm.DATA_GUARD_OPTIONS},
    "terraform_info": {**tm.TERRAFORM_OPTIONS, **tm.WORKING_COPY_OPTIONS},
    "terraform_plan_file": {**tm.TERRAFORM_OPTIONS, **tm.WORKING_COPY_OPTIONS, **tm.DATA_GUARD_OPTIONS},
    "terraform_migrate": tm.TERRAFORM_OPTIONS,
}


@pytest.fixture(scope="module")
def docs():
    """``ansible-doc --json`` of every module and of the old name, rendered once: {name: doc}."""
    names = [f"strata.deploy.{name}" for name in MODULES + ["terraform_run"]]
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "--json", *names],
                          env={"ANSIBLE_COLLECTIONS_PATH": str(REPO / "collections"), "PATH": os.environ["PATH"]},
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return {name.rsplit(".", 1)[1]: doc for name, doc in json.loads(proc.stdout).items()}


def test_the_modules_are_the_ones_the_readme_lists():
    assert MODULES == ["lambda_package", "plan_bundle", "report_file", "site_check", "terraform_apply", "terraform_info",
                       "terraform_migrate", "terraform_plan_file", "terraform_toolchain"]
    readme = (COLLECTION / "README.md").read_text()
    for module in MODULES:
        assert f"| `{module}` " in readme, module


def test_every_module_has_valid_documentation_with_the_shared_attributes(docs):
    for module in MODULES:
        doc = docs[module]
        assert doc["doc"]["short_description"] and doc["examples"] and doc["return"], module
        assert doc["doc"]["module"] == module
        yaml.safe_load(doc["examples"])
        attributes = doc["doc"]["attributes"]
        assert attributes["check_mode"]["support"] == "full" and attributes["check_mode"]["description"], module
        assert attributes["diff_mode"]["support"] == "none" and attributes["platform"]["platforms"] == "posix", module


def test_the_terraform_modules_document_the_shared_options_they_take(docs):
    for module, shared in TERRAFORM_MODULES.items():
        options = docs[module]["doc"]["options"]
        for name, spec in shared.items():
            assert options[name]["type"] == spec["type"], (module, name)
            assert options[name].get("default", None) == spec.get("default", None), (module, name)
        assert "state" not in options or len(options["state"]["choices"]) <= 2, module
    assert "allow_replace" not in docs["terraform_info"]["doc"]["options"]
    assert "files" not in docs["terraform_migrate"]["doc"]["options"]
    # module_defaults for group/strata.deploy.terraform reach exactly the modules that take every shared option.
    runtime = yaml.safe_load((COLLECTION / "meta" / "runtime.yml").read_text())
    assert runtime["action_groups"]["terraform"] == sorted(
        module for module, shared in TERRAFORM_MODULES.items() if shared.keys() >= tm.WORKING_COPY_OPTIONS.keys())


def test_the_old_name_terraform_run_is_a_deprecated_redirect(docs):
    runtime = yaml.safe_load((COLLECTION / "meta" / "runtime.yml").read_text())
    routing = runtime["plugin_routing"]["modules"]["terraform_run"]
    assert routing["redirect"] == "strata.deploy.terraform_apply"
    assert routing["deprecation"]["removal_version"] == "1.0.0"
    for module in TERRAFORM_MODULES:
        assert f"strata.deploy.{module}" in routing["deprecation"]["warning_text"]
    assert docs["terraform_run"]["doc"]["module"] == "terraform_apply"
