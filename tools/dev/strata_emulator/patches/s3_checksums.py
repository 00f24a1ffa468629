"""S3 checksums, multipart uploads and server-side copies as AWS keeps them.

moto 5.2.5 (``moto.s3.responses.S3Response``, ``moto.s3.models.S3Backend``) diverges where
a backup relies on S3's own integrity checks:
- PutObject and UploadPart take the checksum the client sends (``x-amz-checksum-<algorithm>``)
  without computing it: a body that does not match is stored, and the client's value is
  answered as the object's checksum. AWS computes the checksum of the body it received and
  refuses a mismatch with HTTP 400 ``BadDigest`` ("The <ALGORITHM> you specified did not
  match the calculated checksum.").
- CompleteMultipartUpload answers no checksum and never compares the part checksums the
  request lists with the parts it holds. AWS answers ``Checksum<ALGORITHM>``
  ``<checksum of the parts' checksums>-<parts>`` and ``ChecksumType`` ``COMPOSITE`` for an
  upload created with a checksum algorithm, and refuses a listed part checksum that is not
  the part's with ``InvalidPart``.
- HeadObject with checksum mode answers a composite checksum without its ``-<parts>``
  suffix and without ``x-amz-checksum-type`` (its GetObject has both), so the answer looks
  like the checksum of the whole object. AWS answers what GetObject answers.
- UploadPartCopy answers no checksum of the part it wrote. AWS's ``CopyPartResult``
  carries ``Checksum<ALGORITHM>`` when the upload was created with a checksum algorithm:
  the value CompleteMultipartUpload must list for that part.
- CopyObject into a bucket with a default Object Lock retention is refused with
  ``MissingUploadObjectWithObjectLockHeaders`` (no Content-MD5 or checksum header), the rule
  of requests that carry a body. A copy carries none: AWS accepts it, and the copy gets the
  bucket's default retention.
- CopyObject gives the copy the source's checksum value as it is stored (for a multipart
  source, its composite value, suffix lost) and keeps the source's multipart record. AWS
  writes the copy as a new single-part object: its checksum is computed over the copy's
  bytes (``FULL_OBJECT``) with the algorithm the request names, else the source's.
"""

from __future__ import annotations

from typing import Any
from xml.dom import minidom

from moto.s3 import models, responses
from moto.s3.exceptions import InvalidPart, LockNotEnabled, S3ClientError
from moto.s3.utils import compute_checksum

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")


class BadDigest(S3ClientError):
    code = "BadDigest"

    def __init__(self, algorithm: str) -> None:
        super().__init__("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.")


def _checksum(body: bytes, algorithm: str) -> str:
    return compute_checksum(body, algorithm).decode("ascii")


def _sent_checksums(headers: Any) -> dict[str, str]:
    return {a: headers[f"x-amz-checksum-{a.lower()}"] for a in ALGORITHMS if headers.get(f"x-amz-checksum-{a.lower()}")}


def _verify_body(self: responses.S3Response) -> None:
    """BadDigest when a checksum header the client sent is not that of the body."""
    body = self.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    for algorithm, sent in _sent_checksums(self.headers).items():
        if _checksum(body, algorithm) != sent:
            raise BadDigest(algorithm)


def _insert(body: Any, closing: str, xml: str) -> Any:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    text = text.replace(closing, xml + closing, 1)
    return text.encode("utf-8") if isinstance(body, bytes) else text


def _upload_algorithm(multipart: Any) -> str | None:
    algorithm = multipart.metadata.get("x-amz-checksum-algorithm") if multipart is not None else None
    return algorithm.upper() if algorithm else None


def _wrap_put_object(original: Any) -> Any:
    def put_object(self: responses.S3Response) -> Any:
        _verify_body(self)
        return original(self)

    return put_object


def _wrap_upload_part(original: Any) -> Any:
    def upload_part(self: responses.S3Response) -> Any:
        _verify_body(self)
        return original(self)

    return upload_part


def _wrap_upload_part_copy(original: Any) -> Any:
    def upload_part_copy(self: responses.S3Response) -> Any:
        status, headers, body = original(self)
        if status != 200:
            return status, headers, body
        multipart = self.backend.get_bucket(self.bucket_name).multiparts.get(self._get_param("uploadId"))
        algorithm = _upload_algorithm(multipart)
        part = multipart.parts.get(self._get_int_param("partNumber")) if multipart is not None else None
        if algorithm and part is not None:
            value = _checksum(part.value, algorithm)
            body = _insert(body, "</CopyPartResult>", f"<Checksum{algorithm}>{value}</Checksum{algorithm}>")
            headers["content-length"] = str(len(body))
        return status, headers, body

    return upload_part_copy


def _listed_part_checksums(body: bytes, algorithm: str) -> dict[int, str]:
    listed = {}
    for part in minidom.parseString(body).getElementsByTagName("Part"):
        number = int(part.getElementsByTagName("PartNumber")[0].firstChild.wholeText)  # type: ignore[union-attr]
        values = part.getElementsByTagName(f"Checksum{algorithm}")
        if values and values[0].firstChild is not None:
            listed[number] = values[0].firstChild.wholeText  # type: ignore[union-attr]
    return listed


def _wrap_key_response_post(original: Any) -> Any:
    def key_response_post(self: responses.S3Response, request: Any, body: bytes, bucket_name: str,
                          query: dict[str, Any], key_name: str) -> Any:
        upload_id = (query.get("uploadId") or [None])[0]
        if not upload_id or not body:
            return original(self, request, body, bucket_name, query, key_name)
        multipart = self.backend.get_bucket(bucket_name).multiparts.get(upload_id)
        algorithm = _upload_algorithm(multipart)
        if algorithm:
            for number, listed in _listed_part_checksums(body, algorithm).items():
                part = multipart.parts.get(number)
                if part is None or _checksum(part.value, algorithm) != listed:
                    raise InvalidPart()
        status, headers, answer = original(self, request, body, bucket_name, query, key_name)
        key = self.backend.get_object(bucket_name, key_name)
        if status == 200 and algorithm and key is not None and key.checksum_value:
            value = key.checksum_value
            if key.checksum_type == "COMPOSITE":
                value = f"{value}-{key.checksum_parts}"
            answer = _insert(answer, "</CompleteMultipartUploadResult>",
                             f"<Checksum{algorithm}>{value}</Checksum{algorithm}>"
                             f"<ChecksumType>{key.checksum_type}</ChecksumType>")
            headers["content-length"] = str(len(answer))
        return status, headers, answer

    return key_response_post


def _wrap_head_object(original: Any) -> Any:
    def head_object(self: responses.S3Response, bucket_name: str, query: dict[str, Any], key_name: str,
                    headers: dict[str, Any]) -> Any:
        status, answer_headers, body = original(self, bucket_name, query, key_name, headers)
        if status != 200 or headers.get("x-amz-checksum-mode") != "ENABLED":
            return status, answer_headers, body
        version_id = query.get("versionId", [None])[0]
        key = self.backend.head_object(bucket_name, key_name, version_id=version_id)
        if key is not None and key.checksum_algorithm and key.checksum_value:
            value = key.checksum_value
            if key.checksum_type == "COMPOSITE" and key.checksum_parts:
                value = f"{value}-{key.checksum_parts}"
            answer_headers[f"x-amz-checksum-{key.checksum_algorithm.lower()}"] = value
            if key.checksum_type:
                answer_headers["x-amz-checksum-type"] = key.checksum_type
        return status, answer_headers, body

    return head_object


_OTHER_PUTS = ("retention", "legal-hold", "acl", "tagging")


def _wrap_key_response_put(original: Any) -> Any:
    def key_response_put(self: responses.S3Response, query: dict[str, Any], key_name: str) -> Any:
        if ("x-amz-copy-source" not in self.headers or query.get("uploadId") or query.get("partNumber")
                or any(name in query for name in _OTHER_PUTS)):
            return original(self, query, key_name)
        # A CopyObject: the checks of a request with a body (Content-MD5 under Object Lock) do not apply.
        self._set_action("KEY", "PUT", query)
        self._authenticate_and_authorize_s3_action(bucket_name=self.bucket_name, key_name=key_name)
        asked = (self.headers.get("x-amz-object-lock-mode") or self.headers.get("x-amz-object-lock-retain-until-date")
                 or self.headers.get("x-amz-object-lock-legal-hold") == "ON")
        if asked and not self.backend.get_bucket(self.bucket_name).object_lock_enabled:
            raise LockNotEnabled
        return self.copy_object()

    return key_response_put


def _wrap_copy_object(original: Any) -> Any:
    def copy_object(self: models.S3Backend, src_key: Any, dest_bucket_name: str, dest_key_name: str,
                    *args: Any, **kwargs: Any) -> Any:
        algorithm = src_key.checksum_algorithm
        result = original(self, src_key, dest_bucket_name, dest_key_name, *args, **kwargs)
        copy = self.get_object(dest_bucket_name, dest_key_name)
        if copy is not None:
            copy.multipart = None
            copy.checksum_parts = None
            copy.checksum_type = None
            copy.checksum_value = None
            copy.checksum_algorithm = None
            if algorithm:
                copy.checksum_algorithm = algorithm
                copy.checksum_value = _checksum(copy.value, algorithm.upper())
                copy.checksum_type = "FULL_OBJECT"
        return result

    return copy_object


def _wrap_response_copy_object(original: Any) -> Any:
    def copy_object(self: responses.S3Response) -> Any:
        answer = original(self)
        if self.headers.get("x-amz-checksum-algorithm"):
            copy = self.backend.get_object(self.bucket_name, self.parse_key_name())
            if copy is not None:
                copy.checksum_type = "FULL_OBJECT"
        return answer

    return copy_object


def apply() -> None:
    responses.S3Response.put_object = _wrap_put_object(responses.S3Response.put_object)
    responses.S3Response.upload_part = _wrap_upload_part(responses.S3Response.upload_part)
    responses.S3Response.upload_part_copy = _wrap_upload_part_copy(responses.S3Response.upload_part_copy)
    responses.S3Response._key_response_post = _wrap_key_response_post(responses.S3Response._key_response_post)
    responses.S3Response.head_object = _wrap_head_object(responses.S3Response.head_object)
    responses.S3Response._key_response_put = _wrap_key_response_put(responses.S3Response._key_response_put)
    responses.S3Response.copy_object = _wrap_response_copy_object(responses.S3Response.copy_object)
    models.S3Backend.copy_object = _wrap_copy_object(models.S3Backend.copy_object)
