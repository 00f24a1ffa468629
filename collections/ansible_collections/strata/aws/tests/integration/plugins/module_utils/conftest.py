# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of strata.aws's module_utils integration tests: DynamoDB tables on the emulator and
the source a backup records (the emulator itself, ``emulator_endpoint``, and the table factory
``make_dynamodb_table`` come from the project's root conftest.py). Items and helpers for the
DynamoDB tests are in dynamodb_support.py; the buckets ``s3`` and ``make_bucket`` give to the S3 tests,
with their helpers in s3_support.py."""
from __future__ import annotations

import functools
import uuid

import pytest

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client, source_identity

from .s3_support import delete_all


@pytest.fixture
def ddb(emulator_endpoint):
    return aws_client("dynamodb")


@pytest.fixture
def make_table(make_dynamodb_table):
    """Create PAY_PER_REQUEST tables (hash key ``pk`` S unless ``hash_key`` and ``range_key``
    say otherwise); delete them afterwards."""
    return functools.partial(make_dynamodb_table, "backup", hash_key=("pk", "S"))


@pytest.fixture
def source(ddb):
    """The account, region and endpoint a backup records (the same for every client of the emulator)."""
    return source_identity(ddb)


@pytest.fixture
def s3(emulator_endpoint):
    return aws_client("s3", pool_size=16)


@pytest.fixture
def make_bucket(s3):
    """Create buckets; empty and delete them afterwards."""
    created = []

    def make():
        name = f"backup-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=name)
        created.append(name)
        return name

    yield make
    for name in created:
        delete_all(s3, name)
        s3.delete_bucket(Bucket=name)
