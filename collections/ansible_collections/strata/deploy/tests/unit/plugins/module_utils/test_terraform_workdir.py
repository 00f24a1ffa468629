# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy terraform_workdir: the working copy (configuration, modules, generated files)
and its fingerprints (init only when needed; the inputs a saved plan depends on)."""
from __future__ import annotations

import os

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import terraform_workdir as wd
from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import Runner, TerraformError


class RecordingTerraform:
    """``init`` makes .terraform, as Terraform does; every command is recorded."""

    def __init__(self, work_dir):
        self.work_dir = work_dir
        self.argvs = []

    def __call__(self, argv, cwd=None):
        self.argvs.append(argv)
        os.makedirs(os.path.join(cwd, ".terraform"), exist_ok=True)
        return 0, "", ""


def test_config_sync_follows_symlinks_skips_leftovers_and_removes_stale_files(tmp_path):
    repo = tmp_path / "terraform"
    (repo / "shared").mkdir(parents=True)
    (repo / "shared" / "versions.tf").write_text("terraform {}\n")
    layer = repo / "stateful"
    layer.mkdir()
    (layer / "main.tf").write_text("# main\n")
    (layer / ".terraform.lock.hcl").write_text("# lock\n")
    (layer / "versions.tf").symlink_to("../shared/versions.tf")
    for leftover in ("backend_override.tf", "terraform.tfstate", "plan.tfplan", "README.md", "backend.tf"):
        (layer / leftover).write_text("x\n")
    (layer / ".terraform").mkdir()
    (repo / "modules" / "private_bucket").mkdir(parents=True)
    (repo / "modules" / "private_bucket" / "main.tf").write_text("# module\n")
    work = tmp_path / "work" / "stateful"
    work.mkdir(parents=True)
    (work / "gone.tf").write_text("# removed from the layer\n")
    (work / "backend.tf").write_text("# the runner's own\n")

    changed = wd.sync_config(str(layer), str(work))
    assert sorted(changed) == [".terraform.lock.hcl", "gone.tf", "main.tf", "versions.tf"]
    assert sorted(p.name for p in work.iterdir()) == [".terraform.lock.hcl", "backend.tf", "main.tf", "versions.tf"]
    assert not (work / "versions.tf").is_symlink() and (work / "versions.tf").read_text() == "terraform {}\n"
    assert (work / "backend.tf").read_text() == "# the runner's own\n"
    assert wd.sync_config(str(layer), str(work)) == []
    assert wd.sync_tree(str(repo / "modules"), str(tmp_path / "work" / "modules")) == ["private_bucket/main.tf"]
    assert (tmp_path / "work" / "modules" / "private_bucket" / "main.tf").read_text() == "# module\n"


def test_a_layer_without_configuration_is_refused(tmp_path):
    with pytest.raises(TerraformError, match="No Terraform files"):
        wd.sync_config(str(tmp_path), str(tmp_path / "work"))


def test_a_module_the_source_no_longer_has_is_removed(tmp_path):
    (tmp_path / "src" / "kept").mkdir(parents=True)
    (tmp_path / "src" / "kept" / "main.tf").write_text("# kept\n")
    (tmp_path / "dest" / "old").mkdir(parents=True)
    (tmp_path / "dest" / "old" / "main.tf").write_text("# old\n")
    assert wd.sync_tree(str(tmp_path / "src"), str(tmp_path / "dest")) == ["kept/main.tf", "old"]
    assert sorted(p.name for p in (tmp_path / "dest").iterdir()) == ["kept"]
    assert wd.sync_tree(str(tmp_path / "missing"), str(tmp_path / "dest")) == []


def test_generated_files_are_written_once_and_only_by_name(tmp_path):
    work = tmp_path / "work" / "stateful"
    files = {"backend.tf": 'terraform {\n  backend "local" {}\n}\n', "strata.auto.tfvars.json": '{\n    "env": "dev"\n}\n'}
    assert wd.write_files(str(work), files) == ["backend.tf", "strata.auto.tfvars.json"]
    assert (work / "backend.tf").read_text() == files["backend.tf"]
    assert oct((work / "backend.tf").stat().st_mode & 0o777) == "0o640"
    before = (work / "backend.tf").stat().st_mtime_ns
    assert wd.write_files(str(work), files) == []
    assert (work / "backend.tf").stat().st_mtime_ns == before
    assert wd.write_files(str(work), dict(files, **{"strata.auto.tfvars.json": "{}\n"})) == ["strata.auto.tfvars.json"]
    with pytest.raises(TerraformError, match="not a file name in the working copy"):
        wd.write_files(str(work), {"../escape.tf": "x"})
    assert not (tmp_path / "work" / "escape.tf").exists()


def test_prepare_writes_the_files_then_the_configuration_then_the_modules_beside(tmp_path):
    layer = tmp_path / "terraform" / "stateful"
    layer.mkdir(parents=True)
    (layer / "main.tf").write_text("# main\n")
    (tmp_path / "terraform" / "modules" / "bucket").mkdir(parents=True)
    (tmp_path / "terraform" / "modules" / "bucket" / "main.tf").write_text("# bucket\n")
    work = tmp_path / "work" / "stateful"
    synced = wd.prepare(str(work), {"backend.tf": "# backend\n"}, str(layer), str(tmp_path / "terraform" / "modules"))
    assert synced == ["backend.tf", "main.tf", "bucket/main.tf"]
    assert wd.modules_beside(str(work) + "/") == str(tmp_path / "work" / "modules")
    assert (tmp_path / "work" / "modules" / "bucket" / "main.tf").exists()
    assert wd.prepare(str(work), {"backend.tf": "# backend\n"}, str(layer), str(tmp_path / "terraform" / "modules")) == []
    assert wd.prepare(str(work)) == []


def test_init_runs_only_when_the_backend_the_lock_file_or_a_module_call_changed(work):
    fake = RecordingTerraform(work)
    tf = Runner(fake, "terraform", str(work), "stateful", 300)
    assert wd.needs_init(str(work))
    assert wd.ensure_init(tf) is True and not wd.needs_init(str(work))
    assert wd.ensure_init(tf) is False and len(fake.argvs) == 1
    assert wd.ensure_init(tf, force=True) is True and len(fake.argvs) == 2
    (work / "backend.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    assert wd.needs_init(str(work))
    wd.ensure_init(tf)
    (work / "extra.tf").write_text('module "logs" {\n  source = "../modules/other"\n}\n')
    assert wd.needs_init(str(work))
    (work / "extra.tf").write_text('module "logs" {\n  source = "../modules/other"\n  x = 1\n}\n')
    wd.ensure_init(tf)
    (work / "extra.tf").write_text('module "logs" {\n  source = "../modules/other"\n  x = 2\n}\n')
    assert not wd.needs_init(str(work))
    (work / ".terraform.lock.hcl").write_text("# a new provider lock\n")
    assert wd.needs_init(str(work))


def test_the_inputs_fingerprint_follows_configuration_variables_init_and_modules(work):
    (work / ".terraform").mkdir()
    before = wd.inputs_fingerprint(str(work))
    assert wd.inputs_fingerprint(str(work)) == before
    (work / "notes.txt").write_text("not an input\n")
    (work / ".terraform" / "providers.txt").write_text("not an input\n")
    assert wd.inputs_fingerprint(str(work)) == before
    for change in ("tfvars", "config", "init", "module"):
        if change == "tfvars":
            (work / "strata.auto.tfvars.json").write_text('{"env": "prod"}\n')
        elif change == "config":
            (work / "extra.tf").write_text("# new\n")
        elif change == "init":
            wd.record_init(str(work))
        else:
            (work.parent / "modules" / "bucket").mkdir(parents=True)
            (work.parent / "modules" / "bucket" / "main.tf").write_text("# module\n")
        after = wd.inputs_fingerprint(str(work))
        assert after != before, change
        before = after


def test_discard_removes_only_what_exists(work):
    (work / wd.PLAN_FILE).write_text("plan")
    wd.discard(str(work), wd.PLAN_FILE, "never-written.tfplan")
    assert not (work / wd.PLAN_FILE).exists() and (work / "main.tf").exists()
