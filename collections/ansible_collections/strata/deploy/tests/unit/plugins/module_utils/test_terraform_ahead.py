# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy terraform_ahead: plans made side by side (ahead) and when a later layer uses one."""
from __future__ import annotations

import json
import os
import threading
import zipfile

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import terraform_ahead as ah
from ansible_collections.strata.deploy.plugins.module_utils import terraform_jobs as jobs
from ansible_collections.strata.deploy.plugins.module_utils import terraform_workdir as wd
from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import Runner

STATE = {"version": 4, "serial": 7, "lineage": "l-1",
         "outputs": {"table": {"value": "strata-visits-dev", "type": "string"}},
         "resources": [{"mode": "managed", "type": "aws_dynamodb_table", "name": "visits",
                        "instances": [{"attributes": {"name": "strata-visits-dev"}}]}]}
CHANGE = {"resource_changes": [{"address": "aws_dynamodb_table.visits", "mode": "managed", "type": "aws_dynamodb_table",
                                "change": {"actions": ["update"], "before": {"name": "strata-visits-dev"}}}],
          "planned_values": {"outputs": {"table": {"value": "strata-visits-dev"}}}}


class Terraform:
    """Answers like Terraform in several working copies at once: a plan writes a real plan file
    (a zip holding the state it was made against) at its -out path; ``changes`` names the working
    copies whose plan changes something. Records (cwd, command) of every call."""

    def __init__(self, changes=()):
        self.changes = {str(c) for c in changes}
        self.calls = []
        self.argvs = []
        self.lock = threading.Lock()

    def __call__(self, argv, cwd):
        cwd = str(cwd)
        command = argv[1]
        with self.lock:
            self.calls.append((os.path.basename(cwd), command))
            self.argvs.append((os.path.basename(cwd), list(argv)))
        if command == "init":
            os.makedirs(os.path.join(cwd, ".terraform"), exist_ok=True)
        elif command == "plan":
            out = next(arg.split("=", 1)[1] for arg in argv if arg.startswith("-out="))
            with zipfile.ZipFile(os.path.join(cwd, out), "w") as plan:
                plan.writestr("tfplan", b"\x00")
                plan.writestr("tfstate", json.dumps(STATE))
            return (2 if cwd in self.changes else 0), "", ""
        elif command == "show":
            return 0, json.dumps(CHANGE), ""
        elif command == "state":
            return 0, json.dumps(STATE), ""
        return 0, "", ""

    def commands(self, layer):
        return [command for cwd, command in self.calls if cwd == layer]


def _layer(root, name):
    work = root / name
    work.mkdir()
    (work / "backend.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    (work / "main.tf").write_text(f"# {name}\n")
    (work / "strata.auto.tfvars.json").write_text('{"env": "dev"}\n')
    return work


@pytest.fixture
def layers(tmp_path):
    """bootstrap, stateful and stateless working copies, each initialised by an earlier run."""
    fake = Terraform()
    works = {name: _layer(tmp_path, name) for name in ("bootstrap", "stateful", "stateless")}
    for work in works.values():
        wd.ensure_init(Runner(fake, "terraform", str(work), work.name, 0))
    return works


def _ahead(works, *names):
    return [{"layer": name, "work_dir": str(works[name])} for name in names]


def apply(execute, work, **kwargs):
    """A layer's apply (terraform_jobs.apply) in its working copy, initialised already."""
    return jobs.apply(Runner(execute, "terraform", str(work), work.name, 0), **kwargs)


def test_a_later_layer_uses_the_plan_made_ahead_and_runs_no_terraform(layers):
    fake = Terraform()
    first = apply(fake, layers["bootstrap"], ahead=_ahead(layers, "stateful", "stateless"), ahead_id="run-1")
    assert [r["rc"] for r in first["ahead"]] == [0, 0]
    assert fake.commands("stateful") == ["plan"] and fake.commands("stateless") == ["plan"]
    assert (layers["stateful"] / ah.AHEAD_PLAN).exists()

    for name in ("stateful", "stateless"):
        result = apply(fake, layers[name], ahead_id="run-1")
        assert result["planned_ahead"] and not result["changed"]
        assert fake.commands(name) == ["plan"], "no second plan, no state pull: the plan file holds the state"
        assert result["outputs"] == {"table": "strata-visits-dev"}
        assert [r["name"] for r in result["resources"]] == ["strata-visits-dev"]
        assert not (layers[name] / ah.AHEAD_PLAN).exists() and not (layers[name] / ah.AHEAD_RECORD).exists()


def test_plans_made_ahead_take_no_lock_and_the_applying_layer_plans_under_its_lock(layers):
    """A run killed during the side-by-side plans can leave a lock only on the layer it applies."""
    fake = Terraform()
    apply(fake, layers["bootstrap"], ahead=_ahead(layers, "stateful", "stateless"), ahead_id="run-1")
    plans = {cwd: argv for cwd, argv in fake.argvs if argv[1] == "plan"}
    assert set(plans) == {"bootstrap", "stateful", "stateless"}
    assert "-lock=false" not in plans["bootstrap"]
    assert "-lock=false" in plans["stateful"] and "-lock=false" in plans["stateless"]


@pytest.mark.parametrize("spoil", ["inputs", "config", "other_run", "applied_since", "module"])
def test_a_plan_made_ahead_is_not_used_when_anything_changed(layers, spoil):
    fake = Terraform()
    apply(fake, layers["bootstrap"], ahead=_ahead(layers, "stateful"), ahead_id="run-1")
    ahead_id, ahead_ok = "run-1", True
    if spoil == "inputs":
        (layers["stateful"] / "strata.auto.tfvars.json").write_text('{"env": "prod"}\n')
    elif spoil == "config":
        (layers["stateful"] / "extra.tf").write_text("# new\n")
    elif spoil == "module":
        (layers["stateful"].parent / "modules" / "bucket").mkdir(parents=True)
        (layers["stateful"].parent / "modules" / "bucket" / "main.tf").write_text("# changed module\n")
    elif spoil == "other_run":
        ahead_id = "run-2"
    else:
        ahead_ok = False
    result = apply(fake, layers["stateful"], ahead_id=ahead_id, ahead_ok=ahead_ok)
    assert not result["planned_ahead"]
    assert fake.commands("stateful") == ["plan", "plan"]
    assert not (layers["stateful"] / ah.AHEAD_PLAN).exists() and not (layers["stateful"] / ah.AHEAD_RECORD).exists()


def test_a_plan_with_changes_made_ahead_is_planned_again_before_an_apply_but_serves_check_mode(layers):
    fake = Terraform(changes=[layers["stateful"]])
    apply(fake, layers["bootstrap"], ahead=_ahead(layers, "stateful"), ahead_id="a")
    applied = apply(fake, layers["stateful"], ahead_id="a")
    assert not applied["planned_ahead"] and applied["applied"]
    assert fake.commands("stateful") == ["plan", "plan", "show", "apply", "state"]

    fake.calls.clear()
    apply(fake, layers["bootstrap"], ahead=_ahead(layers, "stateful"), ahead_id="b", check_mode=True)
    checked = apply(fake, layers["stateful"], ahead_id="b", check_mode=True)
    assert checked["planned_ahead"] and checked["changed"] and not checked["applied"]
    assert fake.commands("stateful") == ["plan", "show"]


def test_a_layer_that_cannot_be_planned_ahead_is_skipped_without_failing_the_run(layers, tmp_path):
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    fake = Terraform()

    def execute(argv, cwd):
        if str(cwd) == str(layers["stateless"]) and argv[1] == "plan":
            return 1, "", "Error: Error acquiring the state lock\n\nLock Info:\n  ID: 9\n\n"
        return fake(argv, cwd=cwd)

    # The stateful backend changed since its last init: its own run inits, then plans.
    (layers["stateful"] / "backend.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    result = apply(execute, layers["bootstrap"], ahead_id="r",
                   ahead=[{"layer": "fresh", "work_dir": str(fresh)}] + _ahead(layers, "stateful", "stateless"))
    skipped = {r["layer"]: r["skipped"] for r in result["ahead"]}
    assert skipped["fresh"] == "no working copy from an earlier run"
    assert skipped["stateful"] == "needs init" and fake.commands("stateful") == []
    assert "locked by another run" in skipped["stateless"]
    assert not (layers["stateless"] / ah.AHEAD_RECORD).exists()
    assert result["action"] == "apply" and not result["changed"]
    later = apply(fake, layers["stateless"], ahead_id="r")
    assert not later["planned_ahead"] and fake.commands("stateless") == ["plan"]
