"""tools/ci/molecule_all.py: which scenarios it runs, and a clear refusal of an unknown one.
Running them is what `make molecule` does in every `make test` (killsweep only when named)."""
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


def test_the_killsweep_sample_runs_only_when_named():
    module = load()
    assert "killsweep" in module.ON_REQUEST
    assert module.default_scenarios() == [name for name in module.scenarios() if name != "killsweep"]
    assert {"default", "teardown", "day2"} <= set(module.default_scenarios())


def _fake_start(started):
    def start(name, ephemeral):
        started.append(name)
        return subprocess.Popen([sys.executable, "-c", f"print('ran {name}')"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    return start


def test_without_names_every_scenario_but_killsweep_runs(monkeypatch, capsys):
    module = load()
    started: list[str] = []
    monkeypatch.setattr(module, "start", _fake_start(started))
    assert module.main([]) == 0
    assert sorted(started) == module.default_scenarios()
    assert "killsweep" not in started
    assert "molecule killsweep" not in capsys.readouterr().out


def test_killsweep_runs_when_named(monkeypatch, capsys):
    module = load()
    started: list[str] = []
    monkeypatch.setattr(module, "start", _fake_start(started))
    assert module.main(["killsweep"]) == 0
    assert started == ["killsweep"]
    out = capsys.readouterr().out
    assert "ran killsweep" in out and "molecule killsweep: passed" in out
