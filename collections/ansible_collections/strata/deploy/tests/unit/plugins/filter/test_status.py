# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.status_report and status_lines: reports/status.json and its screen."""
from __future__ import annotations

from ansible_collections.strata.deploy.plugins.filter.status import FilterModule, status_lines, status_report

LAYERS = ["bootstrap", "stateful", "stateless"]
STATES = [
    {"item": {"layer": "bootstrap", "key": "bootstrap/terraform.tfstate"},
     "current": {"resources": 5, "serial": 3, "lineage": "l1", "last_modified": "2026-01-01T00:00:00+00:00"},
     "stats": {"versions": 12, "current_objects": 3, "delete_markers": 1, "bytes": 123456}},
    {"item": {"layer": "stateful", "key": "local/stateful/terraform.tfstate"},
     "current": {"resources": 9, "serial": 10, "lineage": "l2", "last_modified": "2026-01-02T00:00:00+00:00"}},
    {"item": {"layer": "stateless", "key": "local/stateless/terraform.tfstate"}, "current": None},
]
LOCKS = [{"item": {"layer": "bootstrap"}, "locks": []},
         {"item": {"layer": "stateful"}, "locks": [{"id": "i-1", "who": "ci@runner", "age": "3m"}, {"id": "i-2", "who": "me@laptop", "age": "1h"}]},
         {"item": {"layer": "stateless"}, "locks": []}]
ITEMS = {"items": [{"key": {"stat": "Quantity"}, "present": True, "item": {"stat": "Quantity", "viewCount": 41}},
                   {"key": {"stat": "Other"}, "present": False, "item": None}], "changed": False}
BACKUP = {"name": "20260101T060000Z", "manifest": {"created_at": "2026-01-01T06:00:00Z"}}


def report(items=None, backup=None, max_age_hours=24, generated_at="2026-01-02T07:30:00Z"):
    items = ITEMS if items is None else items
    backup = BACKUP if backup is None else backup
    return status_report(STATES, LAYERS, LOCKS, items, backup, env="local", account="123456789012",
                         generated_at=generated_at, backup_root="/b", max_age_hours=max_age_hours, state_bucket="tf-123")


def test_the_report():
    result = report()
    assert [layer["deployed"] for layer in result["layers"]] == [True, True, False]
    assert result["layers"][1] == {"name": "stateful", "deployed": True, "resources": 9, "serial": 10, "lineage": "l2",
                                   "last_write": "2026-01-02T00:00:00+00:00", "locks": LOCKS[1]["locks"]}
    assert result["layers"][2] == {"name": "stateless", "deployed": False, "resources": 0, "serial": None,
                                   "lineage": None, "last_write": None, "locks": []}
    assert result["backup"] == {"root": "/b", "name": "20260101T060000Z", "created_at": "2026-01-01T06:00:00Z",
                                "age_hours": 25.5, "max_age_hours": 24.0, "too_old": True}
    assert result["state_bucket"] == {"name": "tf-123", "versions": 12, "current_objects": 3, "delete_markers": 1, "bytes": 123456}
    assert result["seed_items"] == ITEMS["items"]


def test_the_lines():
    assert status_lines(report()) == [
        "local in account 123456789012 at 2026-01-02T07:30:00Z",
        "bootstrap serial 3, 5 resources, last write 2026-01-01T00:00:00+00:00, unlocked",
        "stateful  serial 10, 9 resources, last write 2026-01-02T00:00:00+00:00, 2 lock(s): i-1, i-2 by ci@runner, me@laptop "
        "(3m, 1h old; see playbooks/unlock.yml)",
        "stateless not deployed, unlocked",
        "backup    20260101T060000Z (25.5 h old, objective 24.0 h): TOO OLD, run playbooks/backup.yml",
        'item      {"stat": "Quantity"}: {"viewCount": 41}',
        'item      {"stat": "Other"}: MISSING',
        "drill     none recorded: run playbooks/drill.yml",
        "state     s3://tf-123: 12 object versions (3 current, 1 delete markers), 120.6 KiB in all",
    ]


def test_a_recent_backup_is_ok_and_none_is_too_old():
    assert status_lines(report(max_age_hours="48"))[4] == "backup    20260101T060000Z (25.5 h old, objective 48.0 h): ok"
    none = report(backup={"name": "", "manifest": {}})
    assert (none["backup"]["age_hours"], none["backup"]["too_old"]) == (None, True)
    assert status_lines(none)[4] == "backup    none in /b/local: run playbooks/backup.yml"


def test_without_a_visits_table_there_are_no_items():
    """The seed items are not read without a table: their task was skipped."""
    result = report(items={"changed": False, "skipped": True, "skip_reason": "Conditional result was False"})
    assert result["seed_items"] == []
    assert not [line for line in status_lines(result) if line.startswith("item")]


def test_a_bucket_without_statistics():
    result = status_report([dict(STATES[0], stats={})] + STATES[1:], LAYERS, LOCKS, ITEMS, BACKUP, env="local",
                           account="1", generated_at="2026-01-02T07:30:00Z", backup_root="/b", max_age_hours=24,
                           state_bucket="tf-1")
    assert status_lines(result)[-1] == "state     s3://tf-1: ? object versions (? current, ? delete markers), 0.0 KiB in all"


def test_the_plugin_exports_the_filters():
    assert FilterModule().filters() == {"status_report": status_report, "status_lines": status_lines}


def test_the_last_drill_is_shown_when_one_was_recorded():
    drill = {"generated_at": "2026-01-02T03:00:00Z", "outcome": "failed", "backup": {"name": "20260101T060000Z"},
             "rto": {"minutes": 2.5, "objective_minutes": 60.0}, "rpo": {"age_hours": 21.0, "objective_hours": 24.0}}
    result = status_report(STATES, LAYERS, LOCKS, ITEMS, BACKUP, env="local", account="123456789012",
                           generated_at="2026-01-02T07:30:00Z", backup_root="/b", max_age_hours=24, state_bucket="tf-123",
                           drill=drill)
    assert result["drill"] == drill and report()["drill"] is None
    assert ("drill     2026-01-02T03:00:00Z: FAILED from backup 20260101T060000Z, recovery time 2.5 min (objective 60.0), "
            "recovery point 21.0 h (objective 24.0)") in status_lines(result)
