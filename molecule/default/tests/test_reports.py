"""The JSON reports the scenario's runs wrote (reports/<playbook>.json, the same document
their set_stats returned): the idempotence deploy's and the side effect's backup."""
from __future__ import annotations

import json
import os


def _report(work_dir, playbook):
    with open(os.path.join(work_dir, "reports", f"{playbook}.json"), encoding="utf-8") as handle:
        return json.load(handle)


def test_the_last_deploy_reports_its_urls_and_that_no_layer_changed(work_dir, stateful_outputs, stateless_outputs, account_id):
    report = _report(work_dir, "deploy")
    assert (report["playbook"], report["env"], report["account"], report["outcome"]) == ("deploy", "local", account_id, "ok")
    assert report["check_mode"] is False
    assert report["urls"] == {"site": f"https://{stateful_outputs['cloudfront_domain']}", "api": stateless_outputs["api_url"]}
    assert report["table"] == stateful_outputs["dynamodb_table_name"]
    assert report["seed"]["written"] == [] and report["seed"]["present"], report["seed"]
    assert set(report["layers"]) == {"bootstrap", "stateful", "stateless"}
    for name, layer in report["layers"].items():
        assert (layer["add"], layer["change"], layer["destroy"], layer["changed"]) == (0, 0, 0, False), (name, layer)
        assert layer["line"].startswith(name)
    assert report["layers_changed"] is False
    # A redeploy plans the later layers side by side with the bootstrap's plan, and they use
    # those plans: their working copies were unchanged and nothing was applied in between.
    assert {name: layer["planned_ahead"] for name, layer in report["layers"].items()} == \
        {"bootstrap": False, "stateful": True, "stateless": True}


def test_the_backup_reports_its_location_and_manifest(work_dir):
    report = _report(work_dir, "backup")
    assert (report["playbook"], report["outcome"]) == ("backup", "ok")
    backup = report["backup"]
    assert backup["verified"] is True
    assert backup["manifest"] == os.path.join(backup["dir"], "manifest.json")
    with open(backup["manifest"], encoding="utf-8") as handle:
        manifest = json.load(handle)
    assert manifest["source"]["env"] == "local"
    assert backup["tables"] == {"molecule-visits-local": 1}
    assert set(backup["buckets"]) == {"molecule-site-local", "molecule-logs-local"}
    # No credential reaches a report (the side effect planted a secret in aws_extra_environment).
    assert "pl4nted-s3cret" not in json.dumps(report)


def test_the_last_deploy_checked_the_site_counting_no_visit(work_dir):
    """The idempotence deploy ended with verify's checks that change nothing: the counter the side
    effect set (41) was read, not counted."""
    report = _report(work_dir, "verify")
    assert (report["playbook"], report["outcome"], report["passed"], report["counted_visit"]) == ("verify", "ok", True, False)
    assert [check["name"] for check in report["checks"]] == ["page", "direct_read_refused", "api_answers"]
    assert all(check["passed"] for check in report["checks"]), report["lines"]
    assert (report["count_before"], report["count_after"], report["local"]) == (41, None, True)
    with open(os.path.join(work_dir, "reports", "verify.junit.xml"), encoding="utf-8") as handle:
        junit = handle.read()
    assert 'tests="3" failures="0"' in junit
