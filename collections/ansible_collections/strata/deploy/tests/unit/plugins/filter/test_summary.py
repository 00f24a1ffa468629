# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.deploy_report, deploy_summary, teardown_summary and plan_bundle_layers."""
from __future__ import annotations

from ansible_collections.strata.deploy.plugins.filter.summary import (
    FilterModule, deploy_report, deploy_summary, plan_bundle_layers, teardown_summary)

REPORTS = {"bootstrap": {"line": "bootstrap: apply 0 to add, 0 to change, 0 to destroy (2.1 s)", "changed": False},
           "stateful": {"line": "stateful: apply 1 to add, 0 to change, 0 to destroy (9.0 s)", "changed": True}}
STATEFUL = {"cloudfront_domain": "d1.cloudfront.net", "dynamodb_table_name": "strata-visits-dev", "site_bucket_id": "s"}
STATELESS = {"api_url": "https://abc.execute-api.us-east-1.amazonaws.com"}
SEED = {"written": [], "present": [{"stat": "Quantity"}]}
CARRIED = [{"line": "aws_dynamodb_table.visits: a -> b, 3 of 3 items carried over (backup /b)"}]


def full_report(**changes):
    return deploy_report(dict(REPORTS), stateful_outputs=STATEFUL, stateless_outputs=STATELESS, seed_report=SEED,
                         replacements=CARRIED, **changes)


def test_the_deploy_report():
    assert full_report(plan_bundle="plans/dev/x") == {
        "urls": {"site": "https://d1.cloudfront.net", "api": STATELESS["api_url"]},
        "table": "strata-visits-dev", "seed": {"written": [], "present": [{"stat": "Quantity"}]},
        "layers": REPORTS, "plan_bundle": "plans/dev/x", "replacements": CARRIED, "layers_changed": True}
    nothing = deploy_report({"bootstrap": dict(REPORTS["bootstrap"], changed="false")}, stateful_outputs={},
                            stateless_outputs={}, seed_report={}, replacements=[])
    assert nothing["urls"] == {"site": "", "api": ""}
    assert (nothing["table"], nothing["seed"], nothing["plan_bundle"], nothing["layers_changed"]) == (
        "", {"written": [], "present": []}, "", False)


def test_on_aws_the_site_is_the_cloudfront_address():
    assert deploy_summary(full_report(), "dev", "123456789012", "", "eu-west-1") == [
        "dev in account 123456789012 (AWS eu-west-1)",
        "site:  https://d1.cloudfront.net",
        "table: strata-visits-dev (seeded 0, already present 1)",
        f"api:   {STATELESS['api_url']}",
        REPORTS["bootstrap"]["line"],
        REPORTS["stateful"]["line"],
        f"replaced {CARRIED[0]['line']}",
    ]


def test_against_an_emulator_the_site_is_the_local_page():
    lines = deploy_summary(full_report(), "local", "123456789012", "http://127.0.0.1:4566", "us-east-1")
    assert lines[:2] == ["local in account 123456789012 (http://127.0.0.1:4566)",
                         "site:  http://127.0.0.1:8080/ (this machine; started by make local, or: make local-page)"]


def test_a_deploy_that_stopped_early_names_what_it_has():
    report = deploy_report({}, stateful_outputs={}, stateless_outputs={}, seed_report={}, replacements=[])
    assert deploy_summary(report, "dev", "1", "", "eu-west-1") == ["dev in account 1 (AWS eu-west-1)"]


def test_the_teardown_summary():
    backup = {"dir": "/b/dev/20260101T000000Z", "verified": True, "tables": {"v-dev": 3}, "buckets": {"s-dev": 2}}
    assert teardown_summary({"stateless": {"line": "stateless: destroy 0 to add, 0 to change, 9 to destroy (8.0 s)"}},
                            env="dev", account="1", backup_report=backup, check_mode=False, backend_destroyed=False,
                            state_bucket="tf-1") == [
        "dev in account 1",
        "backup: /b/dev/20260101T000000Z (verified; items {'v-dev': 3}; objects {'s-dev': 2})",
        "stateless: destroy 0 to add, 0 to change, 9 to destroy (8.0 s)",
        "state backend: kept (tf-1)",
    ]
    vaulted = dict(backup, verified=False, vault="s3://vault/dev/20260101T000000Z/")
    assert teardown_summary({}, env="dev", account="1", backup_report=vaulted, check_mode=True, backend_destroyed=True,
                            state_bucket="tf-1") == [
        "dev in account 1",
        "backup: would be written to /b/dev/20260101T000000Z (items {'v-dev': 3}; objects {'s-dev': 2})",
        "vault: s3://vault/dev/20260101T000000Z/ (verified)",
        "state backend: destroyed",
    ]
    assert teardown_summary({}, env="dev", account="1", backup_report=None, check_mode=False, backend_destroyed=False,
                            state_bucket="tf-1")[1] == "backup: none needed (no stateful layer deployed)"


def test_the_plan_bundle_layers_in_deploy_order():
    records = {"stateful": {"plan_file": "stateful.tfplan", "sha256": "ab", "status": "stale"},
               "bootstrap": {"plan_file": "bootstrap.tfplan", "sha256": "cd"}}
    assert plan_bundle_layers(records) == [
        {"plan_file": "bootstrap.tfplan", "sha256": "cd", "layer": "bootstrap", "status": "planned", "predecessor": ""},
        {"plan_file": "stateful.tfplan", "sha256": "ab", "status": "planned", "layer": "stateful", "predecessor": "bootstrap"},
        {"layer": "stateless", "status": "planned after its predecessor", "predecessor": "stateful"},
    ]


def test_the_plugin_exports_the_filters():
    assert FilterModule().filters() == {"deploy_report": deploy_report, "deploy_summary": deploy_summary,
                                        "teardown_summary": teardown_summary, "plan_bundle_layers": plan_bundle_layers}
