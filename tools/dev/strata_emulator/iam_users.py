"""The emulator's IAM users: its administrator, and users holding exactly one policy.

While the emulator enforces IAM, its administrator always exists: the IAM user
``strata-emulator-admin`` with the access key ``testing`` (secret ``testing``), the test
credentials the local inventory and the tests already use, allowed every action on every
resource. What ran against the emulator without enforcement therefore runs unchanged with
it, and ``create_user`` gives any other policy a user of its own to rehearse with.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ADMIN_USER = "strata-emulator-admin"
ADMIN_ACCESS_KEY_ID = "testing"
ADMIN_SECRET_ACCESS_KEY = "testing"  # noqa: S105 - the emulator's published test credential
ADMIN_POLICY_NAME = "administrator"
ADMIN_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}
# What `user --policy admin` means.
ADMIN_POLICY_ALIAS = "admin"

_admin_lock = threading.Lock()


class PolicyError(Exception):
    """A policy file that cannot be given to a user, said in one sentence."""


def ensure_admin(account_id: str, partition: str = "aws") -> None:
    """Create the administrator and its ``testing`` key in ``account_id`` unless present
    (moto's IAM backend, in this process)."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id][partition]
    if ADMIN_ACCESS_KEY_ID in backend.access_keys:
        return
    with _admin_lock:
        if ADMIN_ACCESS_KEY_ID in backend.access_keys:
            return
        if ADMIN_USER not in backend.users:
            backend.create_user("us-east-1", ADMIN_USER)
        backend.put_user_policy(ADMIN_USER, ADMIN_POLICY_NAME, json.dumps(ADMIN_POLICY))
        key = backend.create_access_key(ADMIN_USER)
        del backend.access_keys[key.physical_resource_id]
        key.access_key_id = ADMIN_ACCESS_KEY_ID
        key.secret_access_key = ADMIN_SECRET_ACCESS_KEY
        backend.access_keys[key.physical_resource_id] = key


def read_policy(source: str) -> tuple[str, dict[str, Any]]:
    """(name, document) of a policy file, or of the administrator's policy for ``admin``."""
    if source == ADMIN_POLICY_ALIAS:
        return ADMIN_POLICY_NAME, ADMIN_POLICY
    path = Path(source)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"policy file {source} does not exist (give a JSON policy such as "
                          f"iam/strata-deploy.json, or {ADMIN_POLICY_ALIAS})") from None
    except (OSError, ValueError) as exc:
        raise PolicyError(f"policy file {source} is not a JSON document: {exc}") from None
    if not isinstance(document, dict) or not document.get("Statement"):
        raise PolicyError(f"policy file {source} has no Statement: expected an IAM policy document "
                          '({"Version": "2012-10-17", "Statement": [...]})')
    return re.sub(r"[^\w+=,.@-]", "-", path.stem), document


@dataclass(frozen=True)
class UserCredentials:
    user_name: str
    arn: str
    access_key_id: str
    secret_access_key: str

    def exports(self) -> str:
        return (f"export AWS_ACCESS_KEY_ID={self.access_key_id}\n"
                f"export AWS_SECRET_ACCESS_KEY={self.secret_access_key}")

    def environment(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}

    def write_environment(self, path: Path) -> None:
        """Write the key to ``path`` as JSON environment variables, readable by its owner only
        (created with that mode: the secret is never in a file others may read)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            json.dump(self.environment(), handle)


def create_user(endpoint_url: str, source: str, user_name: str | None = None,
                region: str = "us-east-1") -> UserCredentials:
    """Create on the emulator at ``endpoint_url`` an IAM user whose only permissions are
    the policy ``source`` (a file, or ``admin``), attached as a customer managed policy, and
    an access key for it. Calls the emulator as its administrator."""
    import boto3
    from botocore.exceptions import ClientError, EndpointConnectionError

    policy_name, document = read_policy(source)
    suffix = uuid.uuid4().hex[:8]
    user_name = user_name or f"{policy_name}-{suffix}"
    iam = boto3.client("iam", endpoint_url=endpoint_url, region_name=region,
                       aws_access_key_id=ADMIN_ACCESS_KEY_ID, aws_secret_access_key=ADMIN_SECRET_ACCESS_KEY)
    try:
        user = iam.create_user(UserName=user_name)["User"]
        policy = iam.create_policy(PolicyName=f"{policy_name}-{suffix}", PolicyDocument=json.dumps(document))
        iam.attach_user_policy(UserName=user_name, PolicyArn=policy["Policy"]["Arn"])
        key = iam.create_access_key(UserName=user_name)["AccessKey"]
    except ClientError as exc:
        raise PolicyError(f"the emulator at {endpoint_url} refused to create the user: {exc}") from None
    except EndpointConnectionError:
        raise PolicyError(f"no emulator answers at {endpoint_url}: start it with "
                          "STRATA_EMULATOR_ENFORCE_IAM=1 make emulator-start") from None
    return UserCredentials(user_name, user["Arn"], key["AccessKeyId"], key["SecretAccessKey"])
