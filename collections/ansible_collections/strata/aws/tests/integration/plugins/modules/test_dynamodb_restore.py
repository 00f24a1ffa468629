"""strata.aws.dynamodb_restore run by ansible on a backup taken from the emulator (the restore
logic: tests/integration/plugins/module_utils/test_backup_dynamodb.py)."""
from __future__ import annotations

from ansible_adhoc import run_module


def test_puts_back_the_missing_item(stack, stack_backup, tmp_path):
    table = stack["table"]
    stack["ddb"].delete_item(TableName=table, Key={"stat": {"S": "s1"}})

    args = {"src": str(stack_backup), "source_table": table}
    dry = run_module(tmp_path, "strata.aws.dynamodb_restore", args, check=True)
    assert (dry["changed"], dry["restored"], dry["unchanged"]) == (True, 1, 2)
    restored = run_module(tmp_path, "strata.aws.dynamodb_restore", args)
    assert (restored["changed"], restored["restored"]) == (True, 1)
    assert run_module(tmp_path, "strata.aws.dynamodb_restore", args)["changed"] is False


def test_an_unknown_mode_is_refused(tmp_path, emulator_endpoint):
    bad = run_module(tmp_path, "strata.aws.dynamodb_restore", {"src": str(tmp_path / "backup"), "mode": "replace"})
    assert "value of mode must be one of: missing, overwrite, got: replace" in bad["msg"]
