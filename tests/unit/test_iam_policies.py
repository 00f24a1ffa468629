"""tools/dev/iam_policies.py: the committed policies and README lists are its output, the
policies are valid IAM policy documents, and the read-only one changes nothing."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import iam_policies

ROOT = Path(__file__).resolve().parents[2]
ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
SID = re.compile(r"^[A-Za-z0-9]+$")
# ARNs strata may be granted: its own names wherever AWS allows, any account and region.
ARN = re.compile(r"^arn:aws:[a-z0-9-]+:(\*)?:(\*)?:.+$")
# Verbs of the actions that change something (checked independently of the generator's own rule).
WRITE_VERBS = ("Create", "Put", "Update", "Delete", "Tag", "Untag", "Add", "Remove", "Modify", "Attach",
               "Detach", "Pass", "Subscribe", "Unsubscribe", "Set", "BatchWrite", "Restore", "Invoke",
               "POST", "PATCH", "PUT", "DELETE")
MANAGED_POLICY_MAX_CHARS = 6144  # AWS counts the document without whitespace


@pytest.fixture(scope="module")
def data():
    return iam_policies.load()


@pytest.mark.parametrize("kind", iam_policies.KINDS)
def test_committed_policies_are_the_generators_output(data, kind):
    committed = (ROOT / "iam" / f"strata-{kind}.json").read_text(encoding="utf-8")
    assert committed == iam_policies.render_policy(iam_policies.policy(data, kind)), (
        "run: python tools/dev/iam_policies.py")


def test_check_passes_on_the_committed_tree():
    result = subprocess.run([sys.executable, str(ROOT / "tools/dev/iam_policies.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("readme", sorted(ROOT.glob("roles/*/README.md")), ids=lambda p: p.parent.name)
def test_role_readmes_list_the_sources_actions(data, readme):
    text = readme.read_text(encoding="utf-8")
    block = iam_policies.role_block(data, readme.parent.name)
    assert block in text
    assert text.index("## IAM actions") < text.index(block)
    for entry in data["roles"][readme.parent.name]:
        for action in entry["read"] + entry["write"]:
            assert f"`{action}`" in block


@pytest.mark.parametrize("kind", iam_policies.KINDS)
def test_policies_follow_the_policy_grammar(kind):
    document = json.loads((ROOT / "iam" / f"strata-{kind}.json").read_text(encoding="utf-8"))
    assert set(document) == {"Version", "Statement"}
    assert document["Version"] == "2012-10-17"
    sids = [statement["Sid"] for statement in document["Statement"]]
    assert len(sids) == len(set(sids))
    for statement in document["Statement"]:
        assert set(statement) == {"Sid", "Effect", "Action", "Resource"}
        assert SID.match(statement["Sid"])
        assert statement["Effect"] == "Allow"
        assert statement["Action"] and all(ACTION.match(a) for a in statement["Action"]), statement["Action"]
        assert statement["Action"] == sorted(set(statement["Action"]))
        for resource in statement["Resource"]:
            assert resource == "*" or ARN.match(resource), resource
    compact = json.dumps(document, separators=(",", ":"))
    assert len(compact) <= MANAGED_POLICY_MAX_CHARS


def test_readonly_grants_no_write_action():
    document = json.loads((ROOT / "iam" / "strata-readonly.json").read_text(encoding="utf-8"))
    actions = [a for statement in document["Statement"] for a in statement["Action"]]
    assert "dynamodb:Scan" in actions  # the test reads real content
    writes = [a for a in actions if a.split(":", 1)[1].startswith(WRITE_VERBS)]
    assert writes == []


def test_readonly_is_a_subset_of_deploy():
    def grants(kind):
        document = json.loads((ROOT / "iam" / f"strata-{kind}.json").read_text(encoding="utf-8"))
        return {(a, r) for s in document["Statement"] for a in s["Action"] for r in s["Resource"]}

    deploy, readonly = grants("deploy"), grants("readonly")
    assert readonly < deploy
    assert ("dynamodb:CreateTable", "arn:aws:dynamodb:*:*:table/strata-*") in deploy


def test_names_are_scoped_to_the_project_where_aws_allows(data):
    deploy = iam_policies.policy(data, "deploy", "shop")
    by_sid = {s["Sid"]: s["Resource"] for s in deploy["Statement"]}
    assert by_sid["S3Buckets"] == ["arn:aws:s3:::shop-*"]
    assert by_sid["DynamodbTables"] == ["arn:aws:dynamodb:*:*:table/shop-*"]
    assert by_sid["LambdaFunctions"] == ["arn:aws:lambda:*:*:function:shop-*"]
    assert by_sid["IamRoles"] == ["arn:aws:iam::*:role/shop-*"]
    assert by_sid["Budgets"] == ["arn:aws:budgets::*:budget/shop-*"]
    assert "strata" not in json.dumps(deploy)
    # Only the actions AWS cannot scope to a resource get "*".
    assert [s for s in deploy["Statement"] if s["Resource"] == ["*"]] == [
        {"Sid": "Account", "Effect": "Allow", "Resource": ["*"],
         "Action": ["dynamodb:ListTables", "logs:DescribeLogGroups", "s3:ListAllMyBuckets", "sts:GetCallerIdentity"]}]


def test_make_iam_writes_another_projects_policies(tmp_path, data):
    result = subprocess.run([sys.executable, str(ROOT / "tools/dev/iam_policies.py"), "--project", "shop",
                             "--out", str(tmp_path)], capture_output=True, text=True, check=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop-deploy.json", "shop-readonly.json"]
    assert json.loads((tmp_path / "shop-readonly.json").read_text()) == iam_policies.policy(data, "readonly", "shop")
    assert "shop-deploy.json" in result.stdout


@pytest.mark.parametrize("project", ["My_Site", "ab", "xn--site", ""])
def test_a_bad_project_name_is_refused(project, tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "tools/dev/iam_policies.py"), "--project", project or " ",
                             "--out", str(tmp_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "project name is" in result.stderr and "3 to 30" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_write_listed_as_read_is_refused(tmp_path):
    source = tmp_path / "actions.yml"
    source.write_text("resources: {account: {arns: ['*'], title: t}}\n"
                      "roles: {r: [{resource: account, read: [s3:PutObject]}]}\n")
    with pytest.raises(iam_policies.ActionsError, match="s3:PutObject under read"):
        iam_policies.load(source)


def test_an_unknown_resource_is_refused(tmp_path):
    source = tmp_path / "actions.yml"
    source.write_text("resources: {account: {arns: ['*'], title: t}}\nroles: {r: [{resource: tables}]}\n")
    with pytest.raises(iam_policies.ActionsError, match="resource 'tables'"):
        iam_policies.load(source)


def test_every_role_is_in_the_source(data):
    roles = {p.parent.name for p in ROOT.glob("roles/*/README.md")}
    assert roles == set(data["roles"])


# The preflight's IAM check (strata.deploy.iam_checks over iam/actions.yml) asks for exactly what
# the policies grant: every check of a write playbook is allowed by the deploy policy, every check
# of a read playbook by the read-only one, for the names an inventory derives (the emulator's
# evaluation, as tests/unit/test_emulator_iam_simulate.py's simulator decides).
def _preflight_checks(access, project="molecule"):
    import yaml

    from ansible_collections.strata.deploy.plugins.filter.iam import iam_checks

    account = "123456789012"
    names = {"s3_buckets": f"{project}-tfstate-{account}", "s3_objects": f"{project}-tfstate-{account}/local/stateful/terraform.tfstate",
             "plan_bundles": f"{project}-tfstate-{account}/plans/local/", "dynamodb_tables": f"{project}-tfstate-lock"}
    actions = yaml.safe_load((ROOT / "iam" / "actions.yml").read_text(encoding="utf-8"))
    return iam_checks(actions, access=access, project=project, account=account, region="us-east-1", env="local",
                      names=names)


@pytest.mark.parametrize("access, kind", [("write", "deploy"), ("read", "readonly"), ("read", "deploy")])
def test_the_preflight_checks_are_what_the_policy_grants(data, access, kind):
    from strata_emulator.iam_arns import Check
    from strata_emulator.patches import iam_enforcement

    document = iam_policies.policy(data, kind, "molecule")
    checks = _preflight_checks(access)
    refused = [c for c in checks if iam_enforcement.evaluate([document], Check(c["action"], c["resource"]), {})
               != iam_enforcement.ALLOWED]
    assert refused == []
    every = {a for entries in data["roles"].values() for e in entries for a in e["read"] + (e["write"] if access == "write" else [])}
    assert {c["action"] for c in checks} == every - {"iam:SimulatePrincipalPolicy"}


def test_the_read_only_policy_refuses_the_writes_a_deploy_checks(data):
    from strata_emulator.iam_arns import Check
    from strata_emulator.patches import iam_enforcement

    document = iam_policies.policy(data, "readonly", "molecule")
    refused = {c["action"] for c in _preflight_checks("write")
               if iam_enforcement.evaluate([document], Check(c["action"], c["resource"]), {}) != iam_enforcement.ALLOWED}
    assert {"dynamodb:CreateTable", "s3:CreateBucket", "lambda:CreateFunction"} <= refused
    assert not any(iam_policies.is_read(action) for action in refused)


def test_each_policy_lets_a_user_simulate_itself_only(data):
    from strata_emulator.iam_arns import Check
    from strata_emulator.patches import iam_enforcement

    for kind in iam_policies.KINDS:
        document = iam_policies.policy(data, kind)
        mine = Check("iam:SimulatePrincipalPolicy", "arn:aws:iam::123456789012:user/ci")
        assert iam_enforcement.evaluate([document], mine, {"aws:username": "ci"}) == iam_enforcement.ALLOWED
        assert iam_enforcement.evaluate([document], mine, {"aws:username": "other"}) == iam_enforcement.IMPLICIT_DENY
        role = Check("iam:SimulatePrincipalPolicy", "arn:aws:iam::123456789012:role/deployer")
        assert iam_enforcement.evaluate([document], role, {}) == iam_enforcement.IMPLICIT_DENY
