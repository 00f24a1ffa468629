# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/dynamodb_table.py against the emulator, through the export that uses it:
sequential and parallel scans give the same items, throttled scans are retried (and fail
the export once the retries are spent), a missing table is named, and the point-in-time
recovery window is recorded, or recorded as unknown when it cannot be read."""
from __future__ import annotations

import datetime
import gzip
import json

import pytest
from botocore.exceptions import ClientError

from ansible_collections.strata.aws.plugins.module_utils.backup_dynamodb import export_table
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError

from .dynamodb_support import FailingScans, _leftovers, backup, numbered, put_items, throttled


# --- scanning -----------------------------------------------------------------------------


def test_parallel_scan_exports_the_same_items(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(700))

    def exported_lines(dest, segments):
        result = export_table(ddb, table, str(dest), source, segments=segments, page_size=50)
        with gzip.open(dest / result["file"], "rt", encoding="utf-8") as handle:
            return result["item_count"], sorted(handle)

    count1, lines1 = exported_lines(tmp_path / "one", 1)
    count4, lines4 = exported_lines(tmp_path / "four", 4)
    assert count1 == count4 == 700
    assert lines1 == lines4


def test_throttled_scans_are_retried(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(30))
    flaky = FailingScans(ddb, throttled(), fail_at=1, times=3)
    result = export_table(flaky, table, str(tmp_path), source, retries=5)
    assert result["item_count"] == 30
    assert flaky.calls == 4


def test_throttling_beyond_the_retries_fails_the_export(ddb, make_table, source, tmp_path):
    table = make_table()
    put_items(ddb, table, numbered(3))
    with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
        export_table(FailingScans(ddb, throttled()), table, str(tmp_path), source, retries=2)
    assert _leftovers(tmp_path) == []


def test_export_of_a_missing_table_names_it(ddb, tmp_path):
    with pytest.raises(BackupError, match="table 'no-such-table' does not exist"):
        export_table(ddb, "no-such-table", str(tmp_path), None)


# --- point-in-time recovery ---------------------------------------------------------------


@pytest.mark.parametrize("pitr", [True, False])
def test_the_manifest_records_the_point_in_time_recovery_window(ddb, make_table, source, tmp_path, pitr):
    table = make_table()
    put_items(ddb, table, numbered(4))
    if pitr:
        ddb.update_continuous_backups(TableName=table,
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    result = backup(ddb, table, tmp_path, source)

    entry = json.loads((tmp_path / "manifest.json").read_text())["tables"][0]
    assert entry["pitr"] == result["pitr"]
    assert "pitr_unknown" not in entry
    if pitr:
        live = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        window = live["PointInTimeRecoveryDescription"]
        assert set(entry["pitr"]) >= {"earliest", "latest"}
        for field, key in (("earliest", "EarliestRestorableDateTime"), ("latest", "LatestRestorableDateTime")):
            recorded = datetime.datetime.strptime(entry["pitr"][field], "%Y-%m-%dT%H:%M:%S.%fZ")
            assert entry["pitr"][field].endswith("Z")
            assert abs(recorded.replace(tzinfo=datetime.timezone.utc) - window[key]) < datetime.timedelta(seconds=1)
        assert entry["pitr"]["earliest"] <= entry["pitr"]["latest"]
    else:
        assert entry["pitr"] is None


class NoContinuousBackups:
    """A DynamoDB client whose DescribeContinuousBackups fails with ``code`` (a role without
    dynamodb:DescribeContinuousBackups, an emulator without the call)."""

    def __init__(self, client, code):
        self._client, self._code = client, code

    def __getattr__(self, name):
        return getattr(self._client, name)

    def describe_continuous_backups(self, **kwargs):
        raise ClientError({"Error": {"Code": self._code, "Message": "not for you"}}, "DescribeContinuousBackups")


@pytest.mark.parametrize("code", ["AccessDeniedException", "UnknownOperationException"])
def test_an_unreadable_recovery_window_is_recorded_as_unknown_not_fatal(ddb, make_table, source, tmp_path, code):
    table = make_table()
    put_items(ddb, table, numbered(2))
    result = backup(NoContinuousBackups(ddb, code), table, tmp_path, source)
    entry = json.loads((tmp_path / "manifest.json").read_text())["tables"][0]
    assert (result["item_count"], entry["pitr"]) == (2, None)
    assert entry["pitr_unknown"].startswith(f"DescribeContinuousBackups failed: {code}")
