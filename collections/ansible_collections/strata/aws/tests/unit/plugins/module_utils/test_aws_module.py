# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/aws_module.py, the base of every strata.aws module, through modules run by
ansible that make no AWS request: the connection options of amazon.aws plus retries,
credentials masked at any verbosity, parameter checks named. No emulator."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ansible_adhoc import adhoc, run_module
from ansible_collections.strata.aws.plugins.module_utils import aws_module

# Fake credentials, planted to prove that no verbosity shows them.
SECRETS = {"access_key": "AKIASTRATAEXAMPLE123", "secret_key": "s3cr3t/Strata+Example",  # pragma: allowlist secret
           "session_token": "IQoJb3JpZ2luX2VjEXAMPLE"}


def run_verbose(workdir: Path, module: str, args: dict) -> str:
    """stdout and stderr of ``module`` run with -vvvv and the default callback, no AWS_ variable set."""
    proc = adhoc(workdir, module, args, "-vvvv", environ={k: v for k, v in os.environ.items() if not k.startswith("AWS_")})
    return proc.stdout + proc.stderr


@pytest.mark.parametrize("names", [
    {"access_key": "access_key", "secret_key": "secret_key", "session_token": "session_token"},  # pragma: allowlist secret (option names, not values)
    {"access_key": "aws_access_key_id", "secret_key": "aws_secret_access_key", "session_token": "aws_session_token"},
])
def test_credentials_never_appear_in_the_output(tmp_path, names):
    args = {"src": str(tmp_path / "no-backup"), "region": "us-east-1", "live": True,
            **{names[k]: v for k, v in SECRETS.items()}}
    output = run_verbose(tmp_path, "strata.aws.backup_verify", args)
    assert "has no manifest.json" in output  # the module ran and failed on its own terms
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output  # invocation is shown, masked
    for secret in SECRETS.values():
        assert secret not in output


def test_credentials_from_the_environment_are_masked_too(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SECRETS["access_key"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRETS["secret_key"])
    result = run_module(tmp_path, "strata.aws.backup_verify", {"src": str(tmp_path / "none"), "region": "us-east-1"})
    assert result["failed"] is True
    assert result["invocation"]["module_args"]["access_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert SECRETS["access_key"] not in json.dumps(result) and SECRETS["secret_key"] not in json.dumps(result)


def test_every_credential_option_is_no_log():
    spec = dict(aws_module.AnsibleAWSModule.default_settings)  # the class is amazon.aws's
    assert spec["module_class"].__name__ == "AnsibleModule"
    from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec

    merged = dict(aws_argument_spec(), **aws_module.AWS_ARGUMENT_SPEC)
    for option in ("access_key", "secret_key", "session_token"):
        assert merged[option]["no_log"] is True, option
    assert merged["access_key"]["aliases"] == ["aws_access_key_id", "aws_access_key"]


def test_the_old_option_names_and_aliases_are_accepted(tmp_path):
    args = {"src": str(tmp_path / "none"), "aws_region": "us-east-1", "aws_endpoint_url": "http://127.0.0.1:9", "retries": 0}
    result = run_module(tmp_path, "strata.aws.backup_verify", args)
    assert "has no manifest.json" in result["msg"]
    module_args = result["invocation"]["module_args"]
    assert (module_args["region"], module_args["endpoint_url"], module_args["retries"]) == ("us-east-1", "http://127.0.0.1:9", 0)


@pytest.mark.parametrize("module, args", [
    ("strata.aws.backup_verify", {"src": "x"}),
    ("strata.aws.dynamodb_seed", {"table": "t", "items": [{"stat": "a"}]}),
    ("strata.aws.s3_restore", {"src": "x"}),
])
def test_retries_below_zero_fail_naming_the_parameter(tmp_path, module, args):
    result = run_module(tmp_path, module, dict(args, retries=-1, region="us-east-1"))
    assert result["failed"] is True
    assert result["msg"] == "parameter retries must be at least 0, got -1"


def test_local_file_modules_take_no_aws_option(tmp_path):
    # backup_manifest reads local files only (backup_find takes AWS options for the vault).
    result = run_module(tmp_path, "strata.aws.backup_manifest",
                        {"dest": str(tmp_path), "env": "dev", "tables": ["t"], "region": "us-east-1"})
    assert result["failed"] is True
    assert "Unsupported parameters" in result["msg"] and "region" in result["msg"]


def test_dynamodb_seed_refuses_an_empty_table_name(tmp_path):
    result = run_module(tmp_path, "strata.aws.dynamodb_seed", {"table": "", "items": [{"stat": "a"}], "region": "us-east-1"})
    assert result["failed"] is True
    assert result["msg"] == "table: expected the name of a DynamoDB table, got an empty string"


class _Failed(Exception):
    pass


class _Module:
    """Stands in for the module ``run`` builds: records how it fails."""

    def fail_json(self, **result):
        raise _Failed(result)

    def fail_json_aws(self, exc, msg=None, **result):
        raise _Failed(dict(result, msg=f"{msg}: {exc}"))

    def exit_json(self, **result):
        raise AssertionError(f"no failure: {result}")


def _refused_call(monkeypatch, error):
    monkeypatch.setattr(aws_module, "build", lambda *args, **kwargs: _Module())

    def action(module):
        raise error

    with pytest.raises(_Failed) as failed:
        aws_module.run({}, action)
    return failed.value.args[0]


def test_a_refusal_names_action_resource_and_policy_file(monkeypatch):
    from botocore.exceptions import ClientError

    error = ClientError({"Error": {"Code": "AccessDeniedException", "Message": (
        "User: arn:aws:iam::1:user/ro is not authorized to perform: dynamodb:PutItem on resource: "
        "arn:aws:dynamodb:us-east-1:1:table/strata-visits-dev because no identity-based policy allows it")}}, "PutItem")
    result = _refused_call(monkeypatch, error)
    assert result["msg"].startswith(
        "AWS refused dynamodb:PutItem on arn:aws:dynamodb:us-east-1:1:table/strata-visits-dev to arn:aws:iam::1:user/ro "
        "(AccessDeniedException). iam/strata-deploy.json grants it: attach that policy to the caller")
    assert "then run the same command again. AWS said: An error occurred (AccessDeniedException)" in result["msg"]
    assert result["error_code"] == "AccessDeniedException"
    assert result["access_denied"]["policy"] == ["iam/strata-deploy.json"]


def test_an_s3_refusal_without_words_names_the_call(monkeypatch):
    from botocore.exceptions import ClientError

    result = _refused_call(monkeypatch, ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}},
                                                    "GetObject"))
    assert result["msg"].startswith("AWS refused the GetObject call (AccessDenied). iam/strata-readonly.json "
                                    "(and iam/strata-deploy.json) grants it")
    assert result["access_denied"]["operation"] == "GetObject"


def test_a_refusal_inside_a_strata_error_keeps_its_context(monkeypatch):
    from ansible_collections.strata.aws.plugins.module_utils.errors import StrataAWSError

    said = ("backup of table strata-visits-dev failed: An error occurred (AccessDeniedException) when calling the Scan "
            "operation: User: arn:aws:iam::1:user/x is not authorized to perform: dynamodb:Scan on resource: "
            "arn:aws:dynamodb:us-east-1:1:table/strata-visits-dev")
    result = _refused_call(monkeypatch, StrataAWSError(said, table="strata-visits-dev"))
    assert result["msg"].startswith("AWS refused dynamodb:Scan on arn:aws:dynamodb:us-east-1:1:table/strata-visits-dev")
    assert result["msg"].endswith(f"({said})")
    assert result["table"] == "strata-visits-dev" and result["access_denied"]["action"] == "dynamodb:Scan"


def test_other_errors_keep_their_message(monkeypatch):
    from botocore.exceptions import ClientError

    result = _refused_call(monkeypatch, ClientError({"Error": {"Code": "ResourceNotFoundException",
                                                               "Message": "no table"}}, "DescribeTable"))
    assert result["msg"].startswith("AWS request failed: An error occurred (ResourceNotFoundException)")
    assert "access_denied" not in result
