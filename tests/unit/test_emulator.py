"""strata's emulator: the CLI lifecycle, and each fidelity patch checked through boto3."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from strata_emulator import launcher, patches
from strata_emulator.process import Emulator, EmulatorError, parse_endpoint

TOOLS_DIR = Path(__file__).resolve().parents[2] / "tools" / "dev"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --- the command line -------------------------------------------------------------


class Cli:
    """``python -m strata_emulator`` on one endpoint with a private state dir."""

    def __init__(self, state_dir: Path):
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.state_dir = state_dir
        self.pid_file = state_dir / f"emulator-{self.port}.pid"

    def __call__(self, *command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "strata_emulator",
                "--endpoint",
                self.endpoint,
                "--state-dir",
                str(self.state_dir),
                *command,
            ],
            env=dict(os.environ, PYTHONPATH=str(TOOLS_DIR)),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture
def cli(tmp_path):
    cli = Cli(tmp_path / "emulator")
    yield cli
    cli("stop")


def test_start_status_stop_lifecycle(cli):
    started = cli("start")
    assert started.returncode == 0, started.stderr
    assert f"emulator started at {cli.endpoint}" in started.stdout
    pid = int(cli.pid_file.read_text())

    assert cli("status").returncode == 0
    again = cli("start")
    assert again.returncode == 0
    assert f"already running at {cli.endpoint} (pid {pid})" in again.stdout

    stopped = cli("stop")
    assert stopped.returncode == 0
    assert f"(pid {pid})" in stopped.stdout
    assert not cli.pid_file.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", cli.port), timeout=1).close()

    status = cli("status")
    assert status.returncode == 3
    assert "not running" in status.stdout
    assert cli("stop").returncode == 0


def test_started_emulator_serves_aws_apis(cli):
    import boto3

    assert cli("start").returncode == 0
    s3 = boto3.client(
        "s3",
        endpoint_url=cli.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket="cli-started-bucket")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["cli-started-bucket"]


def test_stop_never_ends_a_process_it_did_not_start(cli):
    foreign = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        cli.pid_file.parent.mkdir(parents=True)
        cli.pid_file.write_text(f"{foreign.pid}\n")
        stopped = cli("stop")
        assert stopped.returncode == 0
        assert "not running" in stopped.stdout and "stale pid file" in stopped.stdout
        assert foreign.poll() is None
        assert not cli.pid_file.exists()
    finally:
        foreign.kill()
        foreign.wait()


def test_start_refuses_a_port_someone_else_listens_on(cli):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", cli.port))
        listener.listen()
        started = cli("start")
    assert started.returncode == 1
    assert f"something else is listening on {cli.endpoint}" in started.stderr
    assert not cli.pid_file.exists()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1:4566", "plain http://host:port"),
        ("http://127.0.0.1", "no port"),
        ("http://:4566", "no host"),
        ("http://127.0.0.1:99999", "out of range"),
        ("http://127.0.0.1:4566/path", "only scheme, host and port"),
    ],
)
def test_bad_endpoints_are_refused_clearly(url, reason):
    with pytest.raises(EmulatorError, match=reason):
        parse_endpoint(url)


def test_bad_endpoint_on_the_command_line_exits_1(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "strata_emulator", "--endpoint", "localhost:4566", "status"],
        env=dict(os.environ, PYTHONPATH=str(TOOLS_DIR)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "bad endpoint 'localhost:4566'" in result.stderr


def test_start_failure_shows_the_log_tail(tmp_path, monkeypatch):
    emulator = Emulator(parse_endpoint(f"http://127.0.0.1:{_free_port()}"), tmp_path)
    monkeypatch.setattr(
        emulator,
        "run_command",
        lambda: [sys.executable, "-c", "print('cannot serve: boom'); raise SystemExit(2)"],
    )
    with pytest.raises(EmulatorError, match=r"exited with status 2(.|\n)*cannot serve: boom"):
        emulator.start(timeout=10)
    assert not emulator.pid_file.exists()


def test_launcher_raises_on_a_busy_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with pytest.raises(OSError):
            launcher.start_in_thread("127.0.0.1", listener.getsockname()[1])


# --- the patches ----------------------------------------------------------------


def test_apply_all_discovers_every_patch_module():
    assert {"cloudfront", "s3_bucket_policy", "s3_canonical_user"} <= set(patches.apply_all())


def _distribution_config(origin: dict, behaviour: dict, **extra) -> dict:
    return {
        "CallerReference": _unique("ref"),
        "Comment": "",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", **origin}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            **behaviour,
        },
        **extra,
    }


@pytest.fixture
def cloudfront(aws_session):
    return aws_session.client("cloudfront")


@pytest.fixture
def oac_id(cloudfront):
    return cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": _unique("oac"),
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]


S3_ORIGIN = {
    "DomainName": "site-bucket.s3.us-east-1.amazonaws.com",
    "S3OriginConfig": {"OriginAccessIdentity": ""},
}


def test_cloudfront_returns_what_a_cache_policy_distribution_was_given(cloudfront, oac_id):
    created = cloudfront.create_distribution(
        DistributionConfig=_distribution_config(
            {**S3_ORIGIN, "OriginAccessControlId": oac_id},
            {"CachePolicyId": CACHING_OPTIMIZED},
        )
    )["Distribution"]

    for config in (
        created["DistributionConfig"],
        cloudfront.get_distribution(Id=created["Id"])["Distribution"]["DistributionConfig"],
        cloudfront.get_distribution_config(Id=created["Id"])["DistributionConfig"],
    ):
        assert config["Origins"]["Items"][0]["OriginAccessControlId"] == oac_id
        assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_OPTIMIZED
        assert "ForwardedValues" not in config["DefaultCacheBehavior"]
        certificate = config["ViewerCertificate"]
        assert certificate["CloudFrontDefaultCertificate"] is True
        assert not {"SSLSupportMethod", "IAMCertificateId", "ACMCertificateArn"} & set(certificate)


def test_cloudfront_update_keeps_the_origin_access_control(cloudfront, oac_id):
    created = cloudfront.create_distribution(
        DistributionConfig=_distribution_config(S3_ORIGIN, {"CachePolicyId": CACHING_OPTIMIZED})
    )
    config = created["Distribution"]["DistributionConfig"]
    config["Origins"]["Items"][0]["OriginAccessControlId"] = oac_id
    cloudfront.update_distribution(
        Id=created["Distribution"]["Id"], IfMatch=created["ETag"], DistributionConfig=config
    )
    read = cloudfront.get_distribution_config(Id=created["Distribution"]["Id"])
    assert read["DistributionConfig"]["Origins"]["Items"][0]["OriginAccessControlId"] == oac_id


def test_cloudfront_keeps_legacy_settings_and_custom_certificates(cloudfront):
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/" + str(uuid.uuid4())
    created = cloudfront.create_distribution(
        DistributionConfig=_distribution_config(
            S3_ORIGIN,
            {
                "ForwardedValues": {"QueryString": True, "Cookies": {"Forward": "all"}},
                "MinTTL": 0,
            },
            ViewerCertificate={
                "ACMCertificateArn": certificate_arn,
                "SSLSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            },
        )
    )["Distribution"]
    config = cloudfront.get_distribution_config(Id=created["Id"])["DistributionConfig"]
    assert "OriginAccessControlId" not in config["Origins"]["Items"][0]
    assert config["DefaultCacheBehavior"]["ForwardedValues"]["QueryString"] is True
    assert config["ViewerCertificate"]["ACMCertificateArn"] == certificate_arn
    assert config["ViewerCertificate"]["SSLSupportMethod"] == "sni-only"


def test_s3_list_buckets_names_the_owner_that_acls_name(aws_session):
    s3 = aws_session.client("s3")
    bucket = _unique("acl-owner")
    s3.create_bucket(Bucket=bucket)
    assert s3.list_buckets()["Owner"]["ID"] == s3.get_bucket_acl(Bucket=bucket)["Owner"]["ID"]


def _bucket_with_policy(s3, *statements: dict) -> str:
    bucket = _unique("policy")
    s3.create_bucket(Bucket=bucket)
    arn = f"arn:aws:s3:::{bucket}"
    for statement in statements:
        statement.setdefault("Resource", [arn, f"{arn}/*"])
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    )
    return bucket


def _deny(condition: dict | None = None) -> dict:
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:*"}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def test_s3_tls_only_policy_lets_sdk_requests_through(aws_session):
    s3 = aws_session.client("s3")
    bucket = _bucket_with_policy(
        s3,
        _deny({"Bool": {"aws:SecureTransport": "false"}}),
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Condition": {
                "StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::1:distribution/X"}
            },
        },
    )
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>hi</h1>")
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"<h1>hi</h1>"
    deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "index.html"}]})
    assert deleted["Deleted"] == [{"Key": "index.html"}]
    assert "Errors" not in deleted


@pytest.mark.parametrize(
    "condition",
    [None, {"Bool": {"aws:SecureTransport": "true"}}],
    ids=["unconditional", "secure-transport-true"],
)
def test_s3_deny_statements_that_hold_still_deny(aws_session, condition):
    s3 = aws_session.client("s3")
    bucket = _bucket_with_policy(s3, _deny(condition))
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_s3_condition_on_a_key_the_request_lacks_does_not_hold(aws_session):
    """AWS evaluates a condition on an absent key as false, so such a Deny does not apply."""
    s3 = aws_session.client("s3")
    bucket = _bucket_with_policy(s3, _deny({"StringEquals": {"aws:SourceVpce": "vpce-123"}}))
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
