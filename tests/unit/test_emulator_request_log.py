"""The emulator recording its requests without enforcing IAM (what every molecule scenario's
emulator does, scoped or not): any key is answered as before, and each request is recorded
with the action and resource IAM would check, undecided."""
from __future__ import annotations

import json
import uuid

import boto3

from strata_emulator import launcher


def test_a_recording_emulator_answers_any_key_and_records_each_request(tmp_path):
    log = tmp_path / "requests.jsonl"
    bucket = f"strata-site-{uuid.uuid4().hex[:8]}"
    server = launcher.start_in_thread("127.0.0.1", 0, enforce_iam=False, request_log=log)
    try:
        endpoint = f"http://127.0.0.1:{server.port}"
        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
        s3 = boto3.client("s3", endpoint_url=endpoint, **keys)
        s3.create_bucket(Bucket=bucket)  # S3 refused a key no user holds while recording
        s3.put_object(Bucket=bucket, Key="index.html", Body=b"<p>hi</p>")
        # The emulators of one test process share moto's state: other tests' buckets may be listed.
        assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        boto3.client("dynamodb", endpoint_url=endpoint, **keys).list_tables()
    finally:
        server.stop()
    records = [json.loads(line) for line in log.read_text().splitlines()]
    checks = {(check["action"], check["resource"]): check["decision"] for record in records for check in record["checks"]}
    assert ("s3:CreateBucket", f"arn:aws:s3:::{bucket}") in checks
    assert ("s3:PutObject", f"arn:aws:s3:::{bucket}/index.html") in checks
    assert ("dynamodb:ListTables", "*") in checks
    # Undecided for a key no user holds; an earlier enforcing emulator of the same test process
    # may have made "testing" the administrator's key, whose requests are recorded as allowed.
    assert set(checks.values()) <= {"unchecked", "allowed"}
    assert not any(record["enforced"] for record in records)
