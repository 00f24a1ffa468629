"""S3 GetObject and HeadObject without a signature: refused unless the object is public.

moto 5.2.5 (``moto.s3.responses.S3Response._key_response``) checks an anonymous request -- no
``Authorization`` header, no presigned query -- against the bucket policy without its principal:
a statement allowing one principal the read (the CloudFront service, as a strata site bucket's
origin-access-control policy does) lets everyone read every object, and a missing key answers 404.
AWS answers such a request HTTP 403 ``AccessDenied`` unless the object is public: a bucket policy
statement allowing the principal ``*`` the read, without condition (ignored when the bucket's
public access block restricts public buckets), or an ACL granting AllUsers READ (ignored when the
block ignores public ACLs). ``playbooks/verify.yml`` checks that the site bucket refuses a direct,
unsigned read: against the emulator that check could otherwise never pass.

Only object reads are covered (what verify asks); a signed request is left to moto as before.
"""

from __future__ import annotations

import json
from typing import Any

from moto.s3 import responses
from moto.s3.exceptions import S3AccessDeniedError

READ_ACTIONS = {"s3:getobject", "s3:get*", "s3:*", "*"}
SIGNATURE_PARAMETERS = ("X-Amz-Signature", "Signature")


def _anonymous(self: responses.S3Response) -> bool:
    if self.headers.get("Authorization"):
        return False
    return not any(name in self.querystring for name in SIGNATURE_PARAMETERS)


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _policy_is_public(policy: bytes | None) -> bool:
    """Whether a bucket policy allows everyone (principal ``*``) to read objects, unconditionally."""
    if not policy:
        return False
    statements = _as_list(json.loads(policy.decode() if isinstance(policy, bytes) else policy).get("Statement", []))
    for statement in statements:
        principal = statement.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS", [])))
        actions = {action.lower() for action in _as_list(statement.get("Action", []))}
        if statement.get("Effect") == "Allow" and everyone and actions & READ_ACTIONS and not statement.get("Condition"):
            return True
    return False


def public_read(bucket: Any, key: Any) -> bool:
    """Whether an anonymous request may read ``key`` of ``bucket`` (``key`` None or a delete
    marker: not there)."""
    block = bucket.public_access_block
    if not (block and block.restrict_public_buckets) and _policy_is_public(bucket.policy):
        return True
    # A delete marker (the key of a versioned bucket after a delete) has no ACL.
    acls = [bucket.acl, getattr(key, "acl", None)]
    return not (block and block.ignore_public_acls) and any(acl is not None and acl.public_read for acl in acls)


def _refuse_anonymous(self: responses.S3Response, bucket_name: str, key_name: str) -> None:
    if not _anonymous(self):
        return
    bucket = self.backend.get_bucket(bucket_name)
    key = bucket.keys.get(key_name)
    if not public_read(bucket, key):
        raise S3AccessDeniedError()


def apply() -> None:
    original_get = responses.S3Response._key_response_get
    original_head = responses.S3Response.head_object

    def key_response_get(self: responses.S3Response, query: dict[str, Any], key_name: str) -> Any:
        self._set_action("KEY", "GET", query)  # as the original does first: the error's XML body needs it
        _refuse_anonymous(self, self.bucket_name, key_name)
        return original_get(self, query, key_name)

    def head_object(self: responses.S3Response, bucket_name: str, query: dict[str, Any], key_name: str,
                    headers: dict[str, Any]) -> Any:
        self._set_action("KEY", "HEAD", query)
        _refuse_anonymous(self, bucket_name, key_name)
        return original_head(self, bucket_name, query, key_name, headers)

    responses.S3Response._key_response_get = key_response_get
    responses.S3Response.head_object = head_object
