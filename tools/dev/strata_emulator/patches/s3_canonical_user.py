"""S3 ListBuckets: report the account's canonical user ID that S3 ACLs name as owner.

moto 5.2.5 answers ListBuckets with a fixed ``Owner.ID`` of
``bcaf1ffd86f41161ca5fb16fd081034f``, while every ACL it returns (GetBucketAcl,
GetObjectAcl) names the owner ``moto.s3.models.OWNER``. In AWS an account has one
canonical user ID: the owner ListBuckets reports is the owner the ACLs name. Terraform's
``aws_canonical_user_id`` data source reads ListBuckets, so a bucket ACL that grants its
owner by that ID is never seen as applied and every plan proposes to rewrite it.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.s3 import models, responses

MOTO_LISTING_OWNER_ID = "bcaf1ffd86f41161ca5fb16fd081034f"


def apply() -> None:
    original = responses.S3Response.all_buckets

    @functools.wraps(original)
    def all_buckets(self: responses.S3Response) -> Any:
        status, headers, body = original(self)
        if isinstance(body, bytes):
            body = body.replace(MOTO_LISTING_OWNER_ID.encode(), models.OWNER.encode())
        else:
            body = body.replace(MOTO_LISTING_OWNER_ID, models.OWNER)
        return status, headers, body

    responses.S3Response.all_buckets = all_buckets
