# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Terraform toolchain helpers: version check, mirror discovery, CLI config."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.strata.deploy.plugins.module_utils import terraform_toolchain as tt

PROVIDER = "registry.terraform.io/hashicorp/aws"


def make_mirror(root, version="5.100.0"):
    path = root / PROVIDER / version / "linux_amd64"
    path.mkdir(parents=True)
    return root


def test_parse_version_reads_terraform_output():
    assert tt.parse_version("Terraform v1.11.4\non linux_amd64") == (1, 11, 4)
    with pytest.raises(tt.ToolchainError):
        tt.parse_version("no version here")


@pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform on PATH")
def test_find_terraform_checks_the_minimum_version():
    path, version = tt.find_terraform("terraform", "1.0")
    assert os.path.isabs(path) and tt.parse_version(version) >= (1, 0, 0)
    with pytest.raises(tt.ToolchainError, match="strata needs 99.0 or newer"):
        tt.find_terraform("terraform", "99.0")


def test_find_terraform_names_a_missing_binary():
    with pytest.raises(tt.ToolchainError, match="'no-such-terraform' was not found on PATH"):
        tt.find_terraform("no-such-terraform", "1.10")


def test_find_mirror_finds_a_nested_mirror_holding_the_version(tmp_path):
    mirror = make_mirror(tmp_path / "vendor" / "tf-plugins")
    assert tt.find_mirror(PROVIDER, "5.100.0", [str(tmp_path)]) == str(mirror)


def test_find_mirror_ignores_other_versions_and_missing_roots(tmp_path):
    make_mirror(tmp_path / "plugins", version="5.99.0")
    assert tt.find_mirror(PROVIDER, "5.100.0", [str(tmp_path), str(tmp_path / "absent")]) is None


def test_render_config_uses_the_mirror_for_its_providers_only(tmp_path):
    text = tt.render_config("/srv/mirror", [PROVIDER], "/cache")
    assert 'path    = "/srv/mirror"' in text
    assert f'exclude = ["{PROVIDER}"]' in text
    assert 'plugin_cache_dir = "/cache"' in text
    assert "provider_installation" not in tt.render_config(None, [PROVIDER], "/cache")


@pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform on PATH")
def test_rendered_config_is_accepted_by_terraform(tmp_path):
    config = tmp_path / "cli.tfrc"
    tt.write_if_changed(str(config), tt.render_config(str(make_mirror(tmp_path / "m")), [PROVIDER], str(tmp_path)), False)
    result = subprocess.run(["terraform", "version"], env={**os.environ, "TF_CLI_CONFIG_FILE": str(config)},
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "problems with the CLI configuration" not in result.stderr


def test_write_if_changed_reports_changes_and_honours_check_mode(tmp_path):
    path = tmp_path / "sub" / "cli.tfrc"
    assert tt.write_if_changed(str(path), "a\n", check_mode=True) is True
    assert not path.exists()
    assert tt.write_if_changed(str(path), "a\n", check_mode=False) is True
    assert tt.write_if_changed(str(path), "a\n", check_mode=False) is False
    assert tt.write_if_changed(str(path), "b\n", check_mode=False) is True
    assert path.read_text() == "b\n"
