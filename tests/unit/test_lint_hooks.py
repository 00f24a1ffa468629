"""The pre-commit hooks `make lint` runs catch what they are for: a planted AWS secret key fails
the detect-secrets hook (the emulator's ``testing`` credentials do not), and a checkov skip without
a reason fails the skip-reason hook."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent
# A made-up key pair in AWS's format (AWS's documentation example, with other letters).
FAKE_KEY_ID = "AKIA" + "Q3EGRQWPLMZ7XK2B"
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "ZQ4mT9sHbv"  # pragma: allowlist secret (made up, planted below)


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)


@pytest.fixture
def repo(tmp_path):
    """A git repository with strata's pre-commit configuration, secrets baseline and tools."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    for name in (".pre-commit-config.yaml", ".secrets.baseline"):
        (repo / name).write_bytes((ROOT / name).read_bytes())
    (repo / ".venv").symlink_to(VENV, target_is_directory=True)
    (repo / "tools").symlink_to(ROOT / "tools", target_is_directory=True)
    return repo


def run_hook(repo, hook, tmp_path):
    git(repo, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([str(VENV / "bin" / "pre-commit"), "run", hook, "--all-files"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_planted_aws_secret_key_fails_the_secret_scan(repo, tmp_path):
    (repo / "inventory.yml").write_text("---\nall:\n  vars:\n    aws_region: eu-west-1\n")
    clean = run_hook(repo, "detect-secrets", tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    (repo / "credentials.ini").write_text(
        f"[default]\naws_access_key_id = {FAKE_KEY_ID}\naws_secret_access_key = {FAKE_SECRET}\n")
    planted = run_hook(repo, "detect-secrets", tmp_path)
    assert planted.returncode == 1, planted.stdout + planted.stderr
    assert "credentials.ini" in planted.stdout
    assert "AWS Access Key" in planted.stdout


def test_the_emulators_test_credentials_are_allowed(repo, tmp_path):
    (repo / "local.yml").write_text("---\naws_environment:\n  AWS_ACCESS_KEY_ID: testing\n  AWS_SECRET_ACCESS_KEY: testing\n")
    result = run_hook(repo, "detect-secrets", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_checkov_skip_without_reason_fails(repo, tmp_path):
    (repo / "main.tf").write_text(
        'resource "aws_s3_bucket" "a" {\n'
        "  #checkov:skip=CKV_AWS_18:Server access logs would need a bucket per bucket; CloudTrail covers it.\n"
        '  bucket = "a"\n}\n')
    justified = run_hook(repo, "checkov-skip-reasons", tmp_path)
    assert justified.returncode == 0, justified.stdout + justified.stderr

    (repo / "other.tf").write_text('resource "aws_s3_bucket" "b" {\n  #checkov:skip=CKV_AWS_144\n  bucket = "b"\n}\n')
    bare = run_hook(repo, "checkov-skip-reasons", tmp_path)
    assert bare.returncode == 1, bare.stdout + bare.stderr
    assert "other.tf:2: checkov skip of CKV_AWS_144 has no reason" in bare.stdout
