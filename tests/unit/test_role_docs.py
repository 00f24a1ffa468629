"""Every role's README documents exactly the variables its argument_specs declare."""
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_every_role_has_argument_specs_and_a_readme():
    for role in sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir()):
        assert (role / "meta" / "argument_specs.yml").is_file(), f"{role.name} has no argument_specs"
        assert (role / "README.md").is_file(), f"{role.name} has no README.md"


def test_readmes_are_in_step_with_argument_specs():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "ci" / "role_docs.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_role_defaults_match_argument_specs():
    """A default in defaults/main.yml is the one argument_specs documents."""
    for specs_file in ROOT.glob("roles/*/meta/argument_specs.yml"):
        role = specs_file.parent.parent
        defaults_file = role / "defaults" / "main.yml"
        defaults = yaml.safe_load(defaults_file.read_text()) if defaults_file.exists() else {}
        options = yaml.safe_load(specs_file.read_text())["argument_specs"]["main"].get("options", {})
        for name, value in (defaults or {}).items():
            assert name in options, f"{role.name}: default {name} is not in argument_specs"
            assert options[name].get("default") == value, f"{role.name}: {name} default differs"
