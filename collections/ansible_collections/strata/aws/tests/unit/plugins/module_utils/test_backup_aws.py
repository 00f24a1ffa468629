# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/backup_aws.py: the retry and pool policy of every client, the backoff loop and
the bounded thread pool, without any AWS request."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ansible_collections.strata.aws.plugins.module_utils import backup_aws


def throttled():
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Scan")


def test_client_config_uses_adaptive_retries_and_covers_the_threads():
    config = backup_aws.client_config(retries=3, pool_size=32)
    assert config.retries == {"mode": "adaptive", "max_attempts": 3}
    assert config.max_pool_connections == 32
    assert backup_aws.client_config(retries=0, pool_size=1).retries["max_attempts"] == 1
    assert backup_aws.client_config(pool_size=1).max_pool_connections == 10


def test_aws_client_takes_region_endpoint_and_retries(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    client = backup_aws.aws_client("dynamodb", "eu-west-1", "http://127.0.0.1:9", retries=4)
    assert (client.meta.region_name, client.meta.endpoint_url) == ("eu-west-1", "http://127.0.0.1:9")
    assert client.meta.config.retries["mode"] == "adaptive"


def test_call_with_backoff_retries_throttling_only(monkeypatch):
    monkeypatch.setattr(backup_aws.time, "sleep", lambda _: None)
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) < 3:
            raise throttled()
        return "done"

    assert backup_aws.call_with_backoff(flaky, retries=5, x=1) == "done"
    assert calls == [{"x": 1}] * 3
    with pytest.raises(ClientError, match="Throttling"):
        backup_aws.call_with_backoff(lambda: (_unused for _unused in ()).throw(throttled()), retries=2)

    def denied():
        calls.append("denied")
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "Scan")

    calls.clear()
    with pytest.raises(ClientError, match="AccessDenied"):
        backup_aws.call_with_backoff(denied, retries=5)
    assert calls == ["denied"]


def test_backoff_delay_is_capped():
    assert all(0 <= backup_aws.backoff_delay(attempt) <= 20.0 for attempt in range(40))


def test_ordered_map_keeps_the_input_order():
    assert list(backup_aws.ordered_map(lambda x: x * x, range(50), workers=4)) == [x * x for x in range(50)]
    assert list(backup_aws.ordered_map(str, [1, 2], workers=1)) == ["1", "2"]
