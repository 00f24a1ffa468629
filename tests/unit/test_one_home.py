"""One home for every rule and constant: where a copy must remain, it is the same as its home.

- The name patterns (S3 bucket, project, environment, e-mail) live in strata.deploy's
  variable_refusals filter (the formats of every role's meta/checks.yml). Terraform's variable
  validation keeps copies, as it cannot read Ansible: each is the home's pattern.
- The Terraform types of the resources that hold data live in the preflight role
  (strata_data_resource_types). terraform_run's data guard keeps its own copy
  (DATA_RESOURCE_TYPES), which must name the same types; roles read the fact.
- The reading of AWS's refusals (access_denied.py) lives in strata.deploy's module_utils;
  strata.aws keeps an identical copy (neither collection depends on the other). Its READ_VERBS
  are those tools/dev/iam_policies.py sorts iam/actions.yml's actions by, and its policy files
  are the ones that tool writes.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from ansible_collections.strata.deploy.plugins.filter import variable_checks
from ansible_collections.strata.deploy.plugins.module_utils import terraform_plan

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"

# The format each Terraform variable's validation copies.
TERRAFORM_COPIES = {
    ("modules/private_bucket/variables.tf", "bucket"): "bucket_name",
    ("bootstrap/variables.tf", "state_bucket_name"): "bucket_name",
    ("bootstrap/variables.tf", "backup_vault_bucket"): "bucket_name",
    ("stateless/variables.tf", "state_bucket"): "bucket_name",
    ("shared/common_variables.tf", "project_name"): "project_name",
    ("shared/env_variable.tf", "env"): "env",
    ("bootstrap/variables.tf", "budget_alert_email"): "email",
    ("stateless/variables.tf", "alarm_email"): "email",
}


def _hcl_string(text: str) -> str:
    return text.replace("\\\\", "\\")


def _validation(path: str, variable: str) -> tuple[str, list[str]]:
    """The comment and the regular expressions of a variable's validation block."""
    source = (TERRAFORM / path).read_text()
    block = re.search(r'variable "' + re.escape(variable) + r'" \{(.*?)\n\}', source, re.S)
    assert block, f"{path} declares no variable {variable}"
    validation = re.search(r"validation \{(.*?)\n  \}", block.group(1), re.S)
    assert validation, f"{path}: {variable} has no validation block"
    body = validation.group(1)
    comment = " ".join(line.strip().lstrip("# ") for line in body.splitlines() if line.strip().startswith("#"))
    regexes = [_hcl_string(found) for found in re.findall(r'regex\("((?:[^"\\]|\\.)*)", var\.' + re.escape(variable), body)]
    return comment, regexes


def test_every_terraform_copy_of_a_name_pattern_is_its_home_and_says_so():
    for (path, variable), fmt in TERRAFORM_COPIES.items():
        comment, regexes = _validation(path, variable)
        pattern, excluded = variable_checks.FORMATS[fmt]
        assert regexes and regexes[0] == pattern, (path, variable, regexes, pattern)
        # A second expression, where Terraform has one, is the home's exclusion.
        assert regexes[1:] in ([], [excluded]), (path, variable, regexes[1:], excluded)
        assert f"copy of the {fmt} format of strata.deploy's variable_refusals filter" in comment, (path, variable)


def test_no_other_terraform_validation_copies_a_name_pattern():
    """A new copy of a pattern must be listed above (and so compared with its home)."""
    patterns = {pattern for pattern, _ in variable_checks.FORMATS.values() if pattern}
    found = set()
    for path in TERRAFORM.rglob("*.tf"):
        if path.is_symlink() or ".terraform" in path.parts:
            continue
        for regex, variable in re.findall(r'regex\("((?:[^"\\]|\\.)*)", var\.(\w+)\)', path.read_text()):
            if _hcl_string(regex) in patterns:
                found.add((str(path.relative_to(TERRAFORM)), variable))
    assert found == set(TERRAFORM_COPIES)


def test_no_role_or_playbook_writes_a_name_pattern_again():
    for path in list((ROOT / "roles").rglob("*.yml")) + list((ROOT / "playbooks").glob("*.yml")):
        text = path.read_text()
        for fmt, (pattern, _) in variable_checks.FORMATS.items():
            if pattern:
                assert pattern.strip("^$") not in text, f"{path.relative_to(ROOT)} repeats the {fmt} pattern: use format: {fmt}"


def _data_resource_types() -> dict:
    return yaml.safe_load((ROOT / "roles" / "preflight" / "vars" / "main.yml").read_text())["_strata_data_resource_types"]


def test_the_data_guard_of_terraform_run_names_the_preflights_data_resource_types():
    home = _data_resource_types()
    assert sorted(home) == ["bucket", "table"]
    assert sorted(home.values()) == sorted(terraform_plan.DATA_RESOURCE_TYPES)


def test_roles_and_playbooks_read_the_data_resource_types_from_the_fact():
    quoted = re.compile(r"""['"](%s)['"]""" % "|".join(map(re.escape, _data_resource_types().values())))
    home = ROOT / "roles" / "preflight" / "vars" / "main.yml"
    spelled = set()
    for path in list((ROOT / "roles").rglob("*.yml")) + list((ROOT / "playbooks").glob("*.yml")):
        if path != home and quoted.search(path.read_text()):
            spelled.add(str(path.relative_to(ROOT)))
    assert not spelled, spelled


def test_the_reading_of_refusals_is_one_file_in_both_collections():
    collections = ROOT / "collections" / "ansible_collections" / "strata"
    home = (collections / "deploy" / "plugins" / "module_utils" / "access_denied.py").read_bytes()
    assert (collections / "aws" / "plugins" / "module_utils" / "access_denied.py").read_bytes() == home


def test_refusals_sort_reads_as_the_policies_do():
    import iam_policies
    from ansible_collections.strata.deploy.plugins.module_utils import access_denied

    assert access_denied.READ_VERBS == iam_policies.READ_VERBS
    for policy in (access_denied.DEPLOY_POLICY, access_denied.READONLY_POLICY):
        assert (ROOT / policy).is_file(), policy
