"""strata's collections carry the project's licence and name its home as pyproject.toml does."""
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = sorted((ROOT / "collections" / "ansible_collections" / "strata").glob("*/galaxy.yml"))
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_both_collections_are_found():
    assert [p.parent.name for p in COLLECTIONS] == ["aws", "deploy"]


@pytest.mark.parametrize("galaxy_file", COLLECTIONS, ids=lambda p: p.parent.name)
def test_licence_is_the_projects(galaxy_file):
    galaxy = yaml.safe_load(galaxy_file.read_text())
    assert galaxy["license"] == [PROJECT["license"]] == ["GPL-3.0-or-later"]
    assert "license_file" not in galaxy  # ansible-galaxy takes one of license and license_file
    licence = (ROOT / "LICENSE").read_text()
    assert licence.split("\n", 2)[:2] == [" " * 20 + "GNU GENERAL PUBLIC LICENSE", " " * 23 + "Version 3, 29 June 2007"]
    assert (galaxy_file.parent / "LICENSE").read_text() == licence


@pytest.mark.parametrize("galaxy_file", COLLECTIONS, ids=lambda p: p.parent.name)
def test_urls_are_the_projects(galaxy_file):
    galaxy, urls = yaml.safe_load(galaxy_file.read_text()), PROJECT["urls"]
    assert galaxy["repository"] == urls["Repository"]
    assert galaxy["homepage"] == urls["Homepage"]
    assert galaxy["issues"] == urls["Issues"]
    assert galaxy["documentation"] == (
        f"{urls['Repository']}/tree/main/collections/ansible_collections/strata/{galaxy['name']}#readme")


@pytest.mark.parametrize("galaxy_file", COLLECTIONS, ids=lambda p: p.parent.name)
def test_every_python_file_names_the_licence(galaxy_file):
    missing = [str(p.relative_to(ROOT)) for p in galaxy_file.parent.rglob("*.py")
               if "tests/output" not in str(p) and p.read_text().strip()
               and "SPDX-License-Identifier: GPL-3.0-or-later" not in p.read_text()]
    assert missing == []


def test_roles_name_the_projects_licence():
    for meta_file in sorted(ROOT.glob("roles/*/meta/main.yml")):
        info = yaml.safe_load(meta_file.read_text())["galaxy_info"]
        assert info["license"] == PROJECT["license"], meta_file
