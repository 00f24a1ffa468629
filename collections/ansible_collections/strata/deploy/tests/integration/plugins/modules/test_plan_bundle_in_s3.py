# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.plan_bundle with a bundle in S3, run by ansible as plan.yml and deploy.yml run it:
real Terraform saves the plan into a private directory, the manifest is written, the bundle is
copied to the emulator's S3 (strata.aws.plan_bundle_s3) and the directory removed; the apply
downloads it into another private directory, verifies it and applies exactly that plan. One byte
changed in S3 is refused before anything is applied."""
from __future__ import annotations

import uuid

import boto3
import pytest

from ansible_adhoc import run_module
from ansible_collections.strata.deploy.plugins.module_utils import plan_bundle as pb


def _module(layer, module, args):
    """A module of another collection, run as Layer.run runs strata.deploy's."""
    return run_module(layer.root, module, args)


@pytest.fixture
def bucket(emulator_endpoint):
    s3 = boto3.client("s3", endpoint_url=emulator_endpoint, region_name="us-east-1")
    name = f"plans-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    yield s3, name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=obj["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture
def in_s3(deployed, bucket, tmp_path):
    """The layer's plan to label ``two`` saved into a bundle and copied to ``s3://<bucket>/plans/dev/7``."""
    _s3, name = bucket
    private = tmp_path / "plan-job"
    private.mkdir(mode=0o700)
    saved = deployed.run("terraform_plan_file", deployed.args(label="two", plan_file=str(private / "demo.tfplan")))
    assert saved["changed"] is False and saved["bundle"]["changes"] is True, saved
    written = deployed.run("plan_bundle", {"path": str(private), "state": "present", "env": "dev", "account_id": "1",
                                           "layers": [dict(saved["bundle"], status=pb.PLANNED, summary=saved["summary"])]})
    assert not written.get("failed"), written
    sent = _module(deployed, "strata.aws.plan_bundle_s3",
                   {"path": str(private), "bucket": name, "prefix": "plans/dev/7", "state": "present"})
    assert sent["changed"] is True and sent["encryption"] == "AES256", sent
    return deployed, f"s3://{name}/plans/dev/7"


def _download_and_verify(layer, url, dest):
    location = pb.s3_location(url)
    fetched = _module(layer, "strata.aws.plan_bundle_s3",
                      {"path": str(dest), "bucket": location["bucket"], "prefix": location["prefix"], "state": "fetched"})
    assert not fetched.get("failed"), fetched
    return layer.run("plan_bundle", {"path": str(dest), "origin": url, "state": "verify", "env": "dev", "account_id": "1"})


def test_a_bundle_in_s3_is_applied_exactly_as_from_a_directory(in_s3, tmp_path):
    layer, url = in_s3
    verified = _download_and_verify(layer, url, tmp_path / "apply-job")
    assert not verified.get("failed"), verified
    entry = verified["manifest"]["layers"]["demo"]
    args = layer.args(label="two", state="applied", plan_file=str(tmp_path / "apply-job" / entry["plan_file"]), expect=entry)
    applied = layer.run("terraform_plan_file", args)
    assert applied["applied"] is True and applied["outputs"] == {"label": "two"}, applied
    assert layer.state()["outputs"]["label"]["value"] == "two"


def test_one_byte_changed_in_s3_is_refused_and_nothing_is_applied(in_s3, bucket, tmp_path):
    layer, url = in_s3
    s3, name = bucket
    key = "plans/dev/7/demo.tfplan"
    body = bytearray(s3.get_object(Bucket=name, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0x01
    s3.put_object(Bucket=name, Key=key, Body=bytes(body))
    refused = _download_and_verify(layer, url, tmp_path / "apply-job")
    assert refused["failed"] is True
    assert refused["msg"].startswith(f"Refusing plan_bundle '{url}': the plan file of the demo layer (demo.tfplan) was "
                                     "altered since it was reviewed"), refused["msg"]
    assert "nothing was applied" in refused["msg"]
    assert layer.state()["outputs"]["label"]["value"] == "one"
