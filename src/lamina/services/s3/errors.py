"""S3's error codes, worded as S3 words them; rendered as S3's ``<Error>`` XML by the seam."""

from __future__ import annotations

from lamina.errors import AwsError


class S3Error(AwsError):
    code = "InvalidRequest"
    status = 400

    def __init__(self, message: str, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        # Headers S3 answers with this error (a delete marker's ``x-amz-delete-marker``).
        self.headers = headers or []


class InvalidBucketName(S3Error):
    code = "InvalidBucketName"


class BucketAlreadyOwnedByYou(S3Error):
    code = "BucketAlreadyOwnedByYou"
    status = 409


class BucketNotEmpty(S3Error):
    code = "BucketNotEmpty"
    status = 409


class NoSuchBucket(S3Error):
    code = "NoSuchBucket"
    status = 404


class NoSuchKey(S3Error):
    code = "NoSuchKey"
    status = 404


class NoSuchVersion(S3Error):
    code = "NoSuchVersion"
    status = 404


class MethodNotAllowed(S3Error):
    code = "MethodNotAllowed"
    status = 405


class NoSuchUpload(S3Error):
    code = "NoSuchUpload"
    status = 404


class InvalidRange(S3Error):
    code = "InvalidRange"
    status = 416


class PreconditionFailed(S3Error):
    code = "PreconditionFailed"
    status = 412


class NotModified(S3Error):
    """304: answered with no body (the seam's error hook drops it)."""

    code = "NotModified"
    status = 304


class InvalidArgument(S3Error):
    code = "InvalidArgument"


class InvalidRequest(S3Error):
    code = "InvalidRequest"


class InvalidPart(S3Error):
    code = "InvalidPart"


class InvalidPartOrder(S3Error):
    code = "InvalidPartOrder"


class EntityTooLarge(S3Error):
    code = "EntityTooLarge"


class MalformedPOSTRequest(S3Error):
    code = "MalformedPOSTRequest"


class AccessDenied(S3Error):
    code = "AccessDenied"
    status = 403


class EntityTooSmall(S3Error):
    code = "EntityTooSmall"


class BadDigest(S3Error):
    code = "BadDigest"


class InvalidDigest(S3Error):
    code = "InvalidDigest"


class MalformedXML(S3Error):
    code = "MalformedXML"


class IncompleteBody(S3Error):
    code = "IncompleteBody"


class NoSuchCORSConfiguration(S3Error):
    code = "NoSuchCORSConfiguration"
    status = 404


class NoSuchBucketPolicy(S3Error):
    code = "NoSuchBucketPolicy"
    status = 404


class NoSuchLifecycleConfiguration(S3Error):
    code = "NoSuchLifecycleConfiguration"
    status = 404


class MalformedPolicy(S3Error):
    code = "MalformedPolicy"


class AccessForbidden(S3Error):
    code = "AccessForbidden"
    status = 403


class XAmzContentSHA256Mismatch(S3Error):
    code = "XAmzContentSHA256Mismatch"


class InternalError(S3Error):
    code = "InternalError"
    status = 500
