# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AWS plumbing shared by strata.aws's modules: one retry and connection-pool policy
(``client_config``, used by the modules' base in ``aws_module.py`` and by ``aws_client`` for
plain Python callers), one backoff loop for throttled calls, the identity of the source a
backup is taken from, and a bounded thread pool for concurrent transfers.

Plain boto3 and the standard library; no Ansible imports, so it is testable on its own.
"""
from __future__ import annotations

import collections
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor

try:
    import boto3
    from botocore.config import Config
    # BotoCoreError is not used here: the other module_utils import it from this module, so
    # that they get the stand-in below when botocore is missing.
    from botocore.exceptions import BotoCoreError, ClientError  # pylint: disable=unused-import
except ImportError as exc:  # reported by the modules through missing_required_lib
    BOTO3_IMPORT_ERROR = exc

    class BotoCoreError(Exception):
        """Stand-in so that ``except`` clauses stay valid without botocore."""

    class ClientError(Exception):
        """Stand-in so that ``except`` clauses stay valid without botocore."""

else:
    BOTO3_IMPORT_ERROR = None

# Error codes that mean "slow down and try again" (DynamoDB, S3, STS and the generic ones).
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
        "InternalServerError",
        "InternalError",
        "ServiceUnavailable",
    }
)

DEFAULT_RETRIES = 10
_BACKOFF_BASE = 0.05
_BACKOFF_CAP = 20.0


def error_code(exc):
    """The AWS error code of a botocore ``ClientError`` (empty string otherwise)."""
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


# The error codes S3 answers for an object or bucket that is not there (GET answers NoSuchKey or
# NoSuchBucket, HEAD only the status: 404 / NotFound).
S3_ABSENT = ("NoSuchKey", "NoSuchBucket", "404", "NotFound")


def client_config(retries=DEFAULT_RETRIES, pool_size=10):
    """The botocore ``Config`` of every client strata.aws makes: botocore's adaptive retry
    mode (it rate-limits the client when AWS throttles it) with ``retries`` attempts, and a
    connection pool that covers ``pool_size`` threads sharing the client."""
    return Config(
        retries={"mode": "adaptive", "max_attempts": max(1, retries)},
        max_pool_connections=max(10, pool_size),
    )


def aws_client(service, region=None, endpoint_url=None, retries=DEFAULT_RETRIES, pool_size=10):
    """A boto3 client for ``service``, for Python callers (tests, benchmarks); the modules get
    theirs from ``aws_module.client`` with the same ``client_config``.

    ``endpoint_url`` None lets boto3 resolve the endpoint itself (it honours
    ``AWS_ENDPOINT_URL``); credentials come from the standard chain.
    """
    session = boto3.session.Session(region_name=region)
    return session.client(service, endpoint_url=endpoint_url, config=client_config(retries, pool_size))


def backoff_delay(attempt):
    """Seconds to wait before retry ``attempt`` (0-based): capped exponential, full jitter."""
    return random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * (2**attempt)))


def call_with_backoff(call, retries=DEFAULT_RETRIES, **kwargs):
    """``call(**kwargs)``, retried with exponential backoff while AWS reports throttling.

    This sits on top of botocore's own retries so that a long export or restore survives a
    burst of throttling that outlasts botocore's attempts.
    """
    attempt = 0
    while True:
        try:
            return call(**kwargs)
        except ClientError as exc:
            if error_code(exc) not in RETRYABLE_CODES or attempt >= retries:
                raise
        time.sleep(backoff_delay(attempt))
        attempt += 1


def custom_endpoint(endpoint_url=None):
    """The endpoint a backup was taken from when it is not AWS's own, else None."""
    return endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None


def source_identity(client, endpoint_url=None, retries=DEFAULT_RETRIES, sts=None):
    """Account, region and custom endpoint behind ``client``, as recorded in a backup.

    ``sts`` is an STS client with the same credentials and endpoint; by default one is made
    with ``aws_client``.
    """
    if sts is None:
        sts = aws_client("sts", client.meta.region_name, endpoint_url, retries)
    account = call_with_backoff(sts.get_caller_identity, retries)["Account"]
    return {
        "account": account,
        "region": client.meta.region_name,
        "endpoint_url": custom_endpoint(endpoint_url),
    }


def ordered_map(func, iterable, workers):
    """``map(func, iterable)`` on ``workers`` threads, yielding results in input order.

    At most ``2 * workers`` inputs are in flight, so memory stays bounded however long
    ``iterable`` is. The first exception raised by ``func`` propagates and cancels the
    inputs not yet started.
    """
    if workers <= 1:
        yield from map(func, iterable)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = collections.deque()
        try:
            for item in iterable:
                pending.append(pool.submit(func, item))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
