# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The scratch tables and buckets of restore drills: finding them and removing them.

A drill restores into resources named ``<prefix><time>`` (``{project}-drill-{env}-``) and
tagged ``<tag key>=<tag value>``; ``find_scratch`` finds those that carry BOTH the name prefix
and the tag (a resource of that name without the tag is someone else's and is left alone), and
``remove_scratch`` deletes them: a table, and a bucket with every object version in it.

``is_scratch`` (pure) is the one rule of what counts as a drill's resource.

Plain boto3 and the standard library; no Ansible imports.
"""
from __future__ import annotations

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    S3_ABSENT,
    ClientError,
    call_with_backoff,
    error_code,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import BackupError


def is_scratch(name, tags, prefix, tag_key, tag_value):
    """Whether a resource ``name`` with ``tags`` ({key: value}) is a drill's scratch resource."""
    if not prefix or not tag_key:
        raise BackupError(f"prefix {prefix!r} and tag_key {tag_key!r}: both are needed to tell a drill's resources")
    return name.startswith(prefix) and tags.get(tag_key) == tag_value


def _table_tags(client, arn, retries):
    tags, kwargs = {}, {"ResourceArn": arn}
    while True:
        page = call_with_backoff(client.list_tags_of_resource, retries, **kwargs)
        tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
        if not page.get("NextToken"):
            return tags
        kwargs["NextToken"] = page["NextToken"]


def _bucket_tags(s3, bucket, retries):
    try:
        answer = call_with_backoff(s3.get_bucket_tagging, retries, Bucket=bucket)
    except ClientError as exc:
        if error_code(exc) in ("NoSuchTagSet", *S3_ABSENT):
            return {}
        raise
    return {t["Key"]: t["Value"] for t in answer.get("TagSet", [])}


def _table_names(client, prefix, retries):
    kwargs = {}
    while True:
        page = call_with_backoff(client.list_tables, retries, **kwargs)
        yield from (name for name in page.get("TableNames", []) if name.startswith(prefix))
        if not page.get("LastEvaluatedTableName"):
            return
        kwargs["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]


def find_scratch(dynamodb, s3, prefix, tag_key, tag_value, retries=DEFAULT_RETRIES):
    """The drill's tables and buckets: ``{"tables": [names], "buckets": [names]}``, each named
    ``prefix...`` and tagged ``tag_key=tag_value``."""
    is_scratch("", {}, prefix, tag_key, tag_value)  # refuses an empty prefix or tag key
    tables = []
    for name in _table_names(dynamodb, prefix, retries):
        try:
            arn = call_with_backoff(dynamodb.describe_table, retries, TableName=name)["Table"]["TableArn"]
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                continue  # removed meanwhile
            raise
        if is_scratch(name, _table_tags(dynamodb, arn, retries), prefix, tag_key, tag_value):
            tables.append(name)
    buckets = [b["Name"] for b in call_with_backoff(s3.list_buckets, retries).get("Buckets", [])
               if b["Name"].startswith(prefix)]
    buckets = [b for b in buckets if is_scratch(b, _bucket_tags(s3, b, retries), prefix, tag_key, tag_value)]
    return {"tables": sorted(tables), "buckets": sorted(buckets)}


def _empty_bucket(s3, bucket, retries):
    """Delete every object version and delete marker of ``bucket``; how many."""
    deleted = 0
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        versions = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for start in range(0, len(versions), 1000):
            batch = versions[start:start + 1000]
            answer = call_with_backoff(s3.delete_objects, retries, Bucket=bucket,
                                       Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise BackupError(f"bucket {bucket}: cannot delete {len(answer['Errors'])} objects "
                                  f"({first.get('Key')}: {first.get('Code')} {first.get('Message')})", bucket=bucket)
            deleted += len(batch)
    return deleted


def remove_scratch(dynamodb, s3, tables, buckets, retries=DEFAULT_RETRIES, check_mode=False):
    """Delete the ``tables`` and ``buckets`` (emptied first); those already gone are skipped.
    Returns ``{"tables": [removed], "buckets": [removed], "objects": count}``."""
    removed = {"tables": [], "buckets": [], "objects": 0}
    for table in tables:
        if check_mode:
            removed["tables"].append(table)
            continue
        try:
            call_with_backoff(dynamodb.delete_table, retries, TableName=table)
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            continue
        removed["tables"].append(table)
    for bucket in buckets:
        if check_mode:
            removed["buckets"].append(bucket)
            continue
        try:
            removed["objects"] += _empty_bucket(s3, bucket, retries)
            call_with_backoff(s3.delete_bucket, retries, Bucket=bucket)
        except ClientError as exc:
            if error_code(exc) not in S3_ABSENT:
                raise
            continue
        removed["buckets"].append(bucket)
    return removed
