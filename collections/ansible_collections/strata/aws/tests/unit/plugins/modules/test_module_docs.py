# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module of strata.aws documents itself: ansible-doc renders DOCUMENTATION, EXAMPLES
and RETURN (valid YAML, doc fragments resolved), and the old name dynamodb_export still
resolves, to dynamodb_backup."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from ansible_adhoc import REPO

COLLECTION = REPO / "collections" / "ansible_collections" / "strata" / "aws"
MODULES = sorted(p.stem for p in (COLLECTION / "plugins" / "modules").glob("*.py"))
AWS_MODULES = ["backup_find", "backup_upload", "backup_verify", "dynamodb_backup", "dynamodb_counter", "dynamodb_restore",
               "dynamodb_seed", "iam_simulate", "plan_bundle_s3", "replace_prepare", "s3_backup", "s3_restore"]


def ansible_doc(*names):
    command = [str(Path(sys.executable).with_name("ansible-doc")), "--json"] + [f"strata.aws.{m}" for m in names]
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False,
        env={"ANSIBLE_COLLECTIONS_PATH": str(REPO / "collections"), "PATH": str(Path(sys.executable).parent)},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_modules_are_the_ones_the_readme_lists():
    assert MODULES == ["backup_find", "backup_manifest", "backup_upload", "backup_verify", "drill_cleanup",
                       "dynamodb_backup", "dynamodb_counter", "dynamodb_import", "dynamodb_restore", "dynamodb_seed",
                       "iam_simulate", "plan_bundle_s3", "protection_info", "replace_prepare", "restore_verify", "s3_backup", "s3_restore",
                       "terraform_lock", "terraform_lock_mode", "terraform_state"]
    readme = (COLLECTION / "README.md").read_text()
    for module in MODULES:
        assert f"| `{module}` |" in readme, module


def test_every_module_has_valid_documentation():
    docs = ansible_doc(*MODULES)
    for module in MODULES:
        doc = docs[f"strata.aws.{module}"]
        assert doc["doc"]["short_description"] and doc["examples"] and doc["return"], module
        assert doc["doc"]["module"] == module
        yaml.safe_load(doc["examples"])


def test_every_module_documents_its_attributes():
    """From strata.aws.attributes, listed before ansible.builtin.action_common_attributes (the
    first fragment's values win: the other's would make platform's support N/A), with the
    descriptions of the latter."""
    docs = ansible_doc(*MODULES)
    for module in MODULES:
        attributes = docs[f"strata.aws.{module}"]["doc"]["attributes"]
        assert attributes["check_mode"]["description"] and attributes["check_mode"]["support"] == "full", module
        assert attributes["diff_mode"]["support"] == "none", module
        assert (attributes["platform"]["support"], attributes["platform"]["platforms"]) == ("full", "posix"), module


def test_aws_modules_document_the_connection_options_and_retries():
    docs = ansible_doc(*AWS_MODULES)
    for module in AWS_MODULES:
        options = docs[f"strata.aws.{module}"]["doc"]["options"]
        for option in ("region", "endpoint_url", "profile", "access_key", "secret_key", "session_token", "retries"):
            assert option in options, (module, option)
        assert "aws_region" in options["region"]["aliases"]
        assert "aws_endpoint_url" in options["endpoint_url"]["aliases"]
        assert options["retries"]["default"] == 10


def test_the_old_name_dynamodb_export_is_a_deprecated_redirect():
    runtime = yaml.safe_load((COLLECTION / "meta" / "runtime.yml").read_text())
    routing = runtime["plugin_routing"]["modules"]["dynamodb_export"]
    assert routing["redirect"] == "strata.aws.dynamodb_backup"
    assert routing["deprecation"]["removal_version"] and routing["deprecation"]["warning_text"]
    doc = ansible_doc("dynamodb_export")
    assert next(iter(doc.values()))["doc"]["module"] == "dynamodb_backup"
