"""S3 CopyObject and UploadPartCopy: the copy-source conditions, as AWS applies them.

moto 5.2.5 (``moto.s3.responses.S3Response.copy_object`` and ``upload_part_copy``) ignores
``x-amz-copy-source-if-match`` on both, and ``x-amz-copy-source-if-none-match`` on
UploadPartCopy: a copy meant for one version of an object copies whatever the key holds
by then. AWS answers HTTP 412 ``PreconditionFailed`` when the source's ETag is not the one
``x-amz-copy-source-if-match`` names, or is the one ``x-amz-copy-source-if-none-match``
names, and copies nothing (S3 API reference: CopyObject, UploadPartCopy). A backup copying
an object server-side relies on this to copy exactly the object it read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from moto.s3 import responses
from moto.s3.exceptions import PreconditionFailed


def _source_etag(self: responses.S3Response) -> str | None:
    copy_source = self.headers.get("x-amz-copy-source")
    if isinstance(copy_source, bytes):
        copy_source = copy_source.decode("utf-8")
    parsed = urlparse(copy_source)
    bucket, key = unquote(parsed.path).lstrip("/").split("/", 1)
    version_id = parse_qs(parsed.query).get("versionId", [None])[0]
    source = self.backend.get_object(bucket, key, version_id=version_id)
    return None if source is None else source.etag.strip('"')


def _check(self: responses.S3Response) -> None:
    match = self.headers.get("x-amz-copy-source-if-match")
    none_match = self.headers.get("x-amz-copy-source-if-none-match")
    if not match and not none_match:
        return
    etag = _source_etag(self)
    if etag is None:
        return  # moto answers the missing source itself
    if match and match.strip('"') != etag:
        raise PreconditionFailed("x-amz-copy-source-If-Match")
    if none_match and none_match.strip('"') == etag:
        raise PreconditionFailed("x-amz-copy-source-If-None-Match")


def _conditional(original: Any) -> Any:
    def copy(self: responses.S3Response) -> Any:
        _check(self)
        return original(self)

    return copy


def apply() -> None:
    responses.S3Response.copy_object = _conditional(responses.S3Response.copy_object)
    responses.S3Response.upload_part_copy = _conditional(responses.S3Response.upload_part_copy)
