"""tools/ci/molecule_all.py: which scenarios it runs, and a clear refusal of an unknown one.
Running them is what `make molecule` does in every `make test`."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "ci" / "molecule_all.py"


def load():
    spec = importlib.util.spec_from_file_location("molecule_all", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_scenario_directory_is_run():
    expected = sorted(path.parent.name for path in (ROOT / "molecule").glob("*/molecule.yml"))
    assert load().scenarios() == expected
    assert {"default", "teardown", "day2", "killsweep"} <= set(expected)


def test_an_unknown_scenario_is_refused_naming_the_known_ones():
    result = subprocess.run([sys.executable, str(SCRIPT), "nosuch"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "no such scenario: nosuch (there are: day2, default, killsweep, teardown)" in result.stderr
