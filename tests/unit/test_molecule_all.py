"""tools/ci/molecule_all.py: which scenarios it runs, and a clear refusal of an unknown one.
Running them is what `make molecule` does in every `make test` (killsweep only when named)."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "ci" / "molecule_all.py"


def load(requests=None):
    spec = importlib.util.spec_from_file_location("molecule_all", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if requests is not None:  # the request logs somewhere of the test's own
        module.REQUESTS = requests
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


def test_without_names_every_scenario_but_killsweep_runs(monkeypatch, capsys, tmp_path):
    module = load(tmp_path / "requests")
    started: list[str] = []
    monkeypatch.setattr(module, "start", _fake_start(started))
    assert module.main([]) == 0
    assert sorted(started) == module.default_scenarios()
    assert "killsweep" not in started
    assert "molecule killsweep" not in capsys.readouterr().out


def test_killsweep_runs_when_named(monkeypatch, capsys, tmp_path):
    module = load(tmp_path / "requests")
    started: list[str] = []
    monkeypatch.setattr(module, "start", _fake_start(started))
    assert module.main(["killsweep"]) == 0
    assert started == ["killsweep"]
    out = capsys.readouterr().out
    assert "ran killsweep" in out and "molecule killsweep: passed" in out


def _log(path, *records):
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")


def test_each_scenario_records_its_requests_and_the_policy_is_weighed(monkeypatch, capsys, tmp_path):
    module = load(tmp_path / "requests")
    logs = []

    def start(name, ephemeral):
        # What create.yml's emulator does with the variable: it writes the requests there.
        log = Path(module.REQUESTS / f"{name}.jsonl")
        logs.append(log)
        deploy = f"arn:aws:iam::123456789012:user/{module.DEPLOY_USER}"
        _log(log, {"principal": deploy, "operation": "CreateTable", "checks": [
            {"action": "dynamodb:CreateTable", "resource": "arn:aws:dynamodb:us-east-1:123456789012:table/molecule-visits-local",
             "decision": "allowed"}]},
             {"principal": "arn:aws:iam::123456789012:user/someone-else", "operation": "DeleteBucket", "checks": [
                 {"action": "s3:DeleteBucket", "resource": "arn:aws:s3:::molecule-site-local", "decision": "allowed"}]})
        return subprocess.Popen([sys.executable, "-c", "pass"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    monkeypatch.setattr(module, "start", start)
    assert module.main(["default"]) == 0
    out = capsys.readouterr().out
    assert "iam minimality: 1 distinct authorizations granted to strata-deploy in default" in out
    assert "dynamodb:CreateTable" in out and "needed by    1 e.g. CreateTable" in out
    findings = json.loads((module.REQUESTS / "minimality.json").read_text())
    assert "dynamodb:CreateTable" in findings["needed"]
    assert "s3:DeleteBucket" in findings["unneeded"]  # granted, but only to another principal
    assert findings["refused_by_policy"] == []


def test_a_log_the_policy_does_not_explain_fails_the_run(monkeypatch, capsys, tmp_path):
    module = load(tmp_path / "requests")

    def start(name, ephemeral):
        _log(module.REQUESTS / f"{name}.jsonl", {
            "principal": f"arn:aws:iam::123456789012:user/{module.DEPLOY_USER}", "operation": "DeleteTable",
            "checks": [{"action": "dynamodb:DeleteTable", "resource": "arn:aws:dynamodb:us-east-1:123456789012:table/other",
                        "decision": "allowed"}]})
        return subprocess.Popen([sys.executable, "-c", "pass"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    monkeypatch.setattr(module, "start", start)
    assert module.main(["day2"]) == 1
    assert "the policy refuses 1 authorizations the runs were granted" in capsys.readouterr().out


def test_without_a_scoped_run_there_is_nothing_to_weigh(monkeypatch, capsys, tmp_path):
    module = load(tmp_path / "requests")
    monkeypatch.setattr(module, "start", _fake_start([]))
    assert module.main(["teardown"]) == 0
    assert "nothing to weigh" in capsys.readouterr().out
