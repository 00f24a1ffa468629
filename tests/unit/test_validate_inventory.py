"""validate_inventory checks every input before any AWS call and sets no fact; each role owns
its rules (meta/checks.yml beside meta/argument_specs.yml); preflight runs it first even when a
playbook lists preflight alone, and strata's playbooks, which list both, run it once.

The playbooks run for real against an endpoint where nothing listens, as in test_preflight.py.
"""
from __future__ import annotations

from pathlib import Path

import yaml
from playbook_run import run_playbook

from ansible_collections.strata.deploy.plugins.filter.variable_checks import variable_refusals

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "validate_inventory"
# Variables a rule reads that no role declares: Automation Controller sets them on every job.
SET_BY_THE_CONTROLLER = {"awx_job_id", "tower_job_id"}


def _roles_checked() -> list[str]:
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    return ["validate_inventory", *defaults["validate_inventory_roles"]]


def _options(role: str) -> dict:
    return yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]


def _checks(role: str) -> list[dict]:
    path = ROOT / "roles" / role / "meta" / "checks.yml"
    return yaml.safe_load(path.read_text())["checks"] if path.exists() else []


def test_each_rule_lives_with_the_role_whose_variable_it_checks():
    for role in _roles_checked():
        options = _options(role)
        for check in _checks(role):
            assert check["name"] in options or check["name"] in SET_BY_THE_CONTROLLER, (role, check["name"])


def test_every_rule_is_well_formed_and_holds_for_the_documented_defaults():
    """A misspelt rule fails the filter; a default argument_specs documents passes its own rules."""
    options = {name: option for role in _roles_checked() for name, option in _options(role).items()}
    checks = [check for role in _roles_checked() for check in _checks(role)]
    given = {name: option["default"] for name, option in options.items()
             if "default" in option and "{{" not in str(option["default"])}
    assert variable_refusals(checks, given, options) == []


def test_validate_inventory_sets_no_fact_calls_no_aws_and_holds_no_jinja_program():
    for path in ROLE.rglob("*.yml"):
        text = path.read_text()
        assert "{%" not in text, path
        assert "set_fact" not in text and "amazon.aws" not in text and "strata.aws" not in text, path


def test_a_playbook_that_lists_preflight_alone_is_checked_first():
    result = run_playbook(ROOT / "tests" / "unit" / "data" / "preflight_alone.yml", "-e", "env=Prod")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "env is 'Prod': expected 2 to 16 lowercase letters" in output and "Nothing was changed." in output, output[-3000:]
    assert "Ask STS who we are" not in result.stdout


def test_the_playbooks_check_once_then_derive_the_facts():
    result = run_playbook("deploy.yml")
    tasks = [line for line in result.stdout.splitlines() if line.startswith("TASK [")]
    checks = [i for i, line in enumerate(tasks) if "Check what argument specs cannot say" in line]
    assert len(checks) == 1, tasks
    sts = [i for i, line in enumerate(tasks) if "Ask STS who we are" in line]
    assert sts and checks[0] < sts[0]
    assert "Cannot reach AWS as local" in result.stdout + result.stderr
