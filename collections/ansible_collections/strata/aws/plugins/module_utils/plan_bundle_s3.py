# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan bundles in S3: a bundle directory (strata.deploy's plan_bundle: the plan files and
``manifest.json``) copied to ``s3://<bucket>/<prefix>/`` and back.

Upload: every file with its SHA-256 as S3's own checksum (``s3_transfer.upload_file``: S3
refuses a body that differs), encrypted at rest (SSE-S3, or SSE-KMS with a key), each read
back (GetObject, hashed) as soon as it is in, ``manifest.json`` last and only when every
plan file checked out; the prefix is covered by a lifecycle rule that expires it. Download:
every object of the bundle into a private directory (0700, files 0600); the caller then
checks each plan file against the manifest (strata.deploy.plan_bundle) before applying.

The bundle's format is strata.deploy's; here a bundle is a flat directory whose
``manifest.json`` is written last. Plain boto3 and the standard library; no Ansible imports.
"""
from __future__ import annotations

import hashlib
import os

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import ClientError, error_code
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import CHUNK, atomic_file
from ansible_collections.strata.aws.plugins.module_utils.errors import StrataAWSError
from ansible_collections.strata.aws.plugins.module_utils.s3_transfer import file_checksums, upload_file

MANIFEST = "manifest.json"
RULE_ID = "strata-expire-plan-bundle-"
"""The id of the expiration rule added for a prefix no rule covers (followed by the prefix)."""
_MISSING = ("NoSuchKey", "404", "NotFound")
_NO_LIFECYCLE = ("NoSuchLifecycleConfiguration",)
_NO_BUCKET = ("NoSuchBucket",)


class PlanBundleError(StrataAWSError):
    """A bundle that cannot be copied, with the message the user should read."""


def bundle_uri(bucket, prefix, name=""):
    return f"s3://{bucket}/{prefix}/{name}"


def sse_args(kms_key=""):
    """The PutObject / CreateMultipartUpload arguments that encrypt an object at rest: SSE-KMS
    with ``kms_key`` (an id, ARN or alias) when given, else SSE-S3 (AES256)."""
    if kms_key:
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key}
    return {"ServerSideEncryption": "AES256"}


def sse_problem(answer, kms_key=""):
    """What differs between an object's encryption (a GetObject or HeadObject answer) and what
    ``sse_args(kms_key)`` asked for, or None. A KMS key given as an alias or id is not compared
    with the ARN S3 answers, only the algorithm."""
    wanted = sse_args(kms_key)["ServerSideEncryption"]
    held = answer.get("ServerSideEncryption")
    if held != wanted:
        return f"encrypted with {held or 'nothing'}, expected {wanted}"
    return None


def _rule_prefix(rule):
    """The key prefix a lifecycle rule covers, or None when it filters on more than a prefix
    (tags, object sizes): such a rule does not cover every object of a bundle."""
    if "Filter" not in rule:
        return rule.get("Prefix", "")
    given = rule["Filter"] or {}
    if set(given) - {"Prefix"}:
        return None
    return given.get("Prefix", "")


def covering_rule(rules, prefix, days):
    """The id of an enabled rule that expires every object under ``prefix/`` within ``days``
    days, or None."""
    for rule in rules:
        covers = _rule_prefix(rule)
        expire = (rule.get("Expiration") or {}).get("Days")
        if (rule.get("Status") == "Enabled" and covers is not None and f"{prefix}/".startswith(covers)
                and isinstance(expire, int) and expire <= days):
            return rule.get("ID", "")
    return None


def expiration_rule(prefix, days):
    """The rule that expires ``prefix/`` after ``days`` days (and aborts its unfinished uploads)."""
    return {"ID": (RULE_ID + prefix)[:255], "Status": "Enabled", "Filter": {"Prefix": f"{prefix}/"},
            "Expiration": {"Days": days}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}


def with_expiration(rules, prefix, days):
    """``rules`` (a bucket's lifecycle rules) with the one that expires ``prefix/`` after ``days``
    days, replacing strata's earlier rule for the same prefix; every other rule is kept."""
    rule = expiration_rule(prefix, days)
    return [kept for kept in rules if kept.get("ID") != rule["ID"]] + [rule]


def ensure_expiration(s3, bucket, prefix, days, check_mode=False):
    """Make sure the bucket's lifecycle expires ``prefix/`` within ``days`` days: a rule that
    already does (such as the state bucket's ``plans/`` rule of the bootstrap layer) is left
    alone; otherwise strata's rule for the prefix joins the bucket's rules (all kept: a
    lifecycle configuration is replaced whole). Returns ``{rule, changed}``."""
    try:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
    except ClientError as exc:
        if error_code(exc) in _NO_BUCKET:
            raise PlanBundleError(f"plan_bundle is '{bundle_uri(bucket, prefix)}': the bucket {bucket} does not exist (a "
                                  "plan bundle goes into an existing bucket; the state bucket exists once the bootstrap "
                                  "layer is deployed: run playbooks/deploy.yml first, or give -e plan_bundle=<dir>). "
                                  "Nothing was changed.") from None
        if error_code(exc) not in _NO_LIFECYCLE:
            raise
        rules = []
    found = covering_rule(rules, prefix, days)
    if found is not None:
        return {"rule": found, "changed": False}
    merged = with_expiration(rules, prefix, days)
    if not check_mode:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": merged})
    return {"rule": merged[-1]["ID"], "changed": True}


def bundle_files(path):
    """The files of the bundle directory ``path``, sorted, ``manifest.json`` last. Refuses a
    directory without a manifest (an interrupted plan writes none) or with a subdirectory."""
    if not os.path.isfile(os.path.join(path, MANIFEST)):
        raise PlanBundleError(f"{path} has no {MANIFEST}: only a complete plan bundle is copied to S3")
    names = []
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if name == MANIFEST or (name.startswith(".") and name.endswith(".tmp")):
            continue
        if not os.path.isfile(full):
            raise PlanBundleError(f"{full} is not a file: a plan bundle holds its plan files and {MANIFEST} only")
        names.append(name)
    return names + [MANIFEST]


def read_back(s3, bucket, key):
    """The SHA-256 (hex) of the object's bytes as S3 returns them, and the GetObject answer."""
    answer = s3.get_object(Bucket=bucket, Key=key)
    digest = hashlib.sha256()
    body = answer["Body"]
    for chunk in iter(lambda: body.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest(), answer


def _exists(s3, bucket, key):
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if error_code(exc) in _MISSING:
            return False
        raise
    return True


def upload_bundle(s3, path, bucket, prefix, kms_key="", expire_days=7, check_mode=False):
    """Copy the bundle directory ``path`` to ``s3://bucket/prefix/``: the prefix first covered by
    an expiration rule (``ensure_expiration``), then each plan file, encrypted (``sse_args``)
    and read back, then ``manifest.json`` the same way. A prefix that already holds a bundle is
    refused (a bundle is written once). In check mode only the checks run.

    Returns ``uri``, ``files`` (``name``, ``key``, ``sha256``, ``size``), ``lifecycle``
    (``rule``, ``changed``), ``encryption`` and ``changed``."""
    prefix = prefix.strip("/")
    if _exists(s3, bucket, f"{prefix}/{MANIFEST}"):
        raise PlanBundleError(f"{bundle_uri(bucket, prefix, MANIFEST)} exists: {bundle_uri(bucket, prefix)} already "
                              "holds a plan bundle, and a bundle is written once. Give a new prefix. Nothing was changed.")
    # In check mode (before the plans are made) the directory may hold no bundle yet.
    names = [] if check_mode and not os.path.isfile(os.path.join(path, MANIFEST)) else bundle_files(path)
    lifecycle = ensure_expiration(s3, bucket, prefix, expire_days, check_mode)
    files = []
    for name in names:
        full, key = os.path.join(path, name), f"{prefix}/{name}"
        sha256, size, _composite = file_checksums(full)
        files.append({"name": name, "key": key, "sha256": sha256, "size": size})
        if check_mode:
            continue
        upload_file(s3, full, bucket, key, sha256=sha256, extra=sse_args(kms_key))
        held, answer = read_back(s3, bucket, key)
        problem = (f"sha256 {held} read back, {sha256} written" if held != sha256
                   else sse_problem(answer, kms_key))
        if problem:
            raise PlanBundleError(
                f"{bundle_uri(bucket, prefix, name)}: {problem}"
                + ("" if name == MANIFEST else f"; {MANIFEST} was not uploaded, so the bundle is incomplete and is never applied")
                + ". Run playbooks/plan.yml again.", uri=bundle_uri(bucket, prefix), files=files)
    return {"uri": bundle_uri(bucket, prefix), "files": files, "lifecycle": lifecycle,
            "encryption": sse_args(kms_key)["ServerSideEncryption"], "changed": not check_mode}


def fetch_bundle(s3, bucket, prefix, dest):
    """Download the bundle at ``s3://bucket/prefix/`` into the directory ``dest`` (created mode
    0700 when missing; each file 0600, written whole before it takes its name). Refuses a prefix
    without ``manifest.json`` and a key that is not a file of the bundle (a bundle is flat).

    Returns ``uri``, ``path`` and ``files`` (``name``, ``key``, ``sha256``, ``size``), the hashes
    of the bytes written: the caller checks them against the manifest."""
    prefix = prefix.strip("/")
    names = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        for obj in page.get("Contents", []):
            name = obj["Key"][len(prefix) + 1:]
            if not name or "/" in name or name in (".", ".."):
                raise PlanBundleError(f"s3://{bucket}/{obj['Key']} is not a file of a plan bundle (a bundle holds its "
                                      f"plan files and {MANIFEST} only). Nothing was applied.")
            names.append(name)
    if MANIFEST not in names:
        raise PlanBundleError(f"plan_bundle is '{bundle_uri(bucket, prefix)}': it holds no {MANIFEST} (expected a plan "
                              "bundle written by playbooks/plan.yml; an interrupted plan writes none, and bundles expire "
                              "after their lifecycle rule's days). Nothing was applied.")
    if not os.path.isdir(dest):
        os.makedirs(dest, mode=0o700)
    files = []
    for name in sorted(names):
        key = f"{prefix}/{name}"
        with atomic_file(os.path.join(dest, name)) as out:
            s3.download_fileobj(bucket, key, out)
        sha256, size, _composite = file_checksums(os.path.join(dest, name))
        files.append({"name": name, "key": key, "sha256": sha256, "size": size})
    return {"uri": bundle_uri(bucket, prefix), "path": dest, "files": files}
