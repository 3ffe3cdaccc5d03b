"""S3's legacy presigned URLs (Signature Version 2 in the query), checked from the receiving side.

boto3 presigns S3 URLs this way unless told ``signature_version="s3v4"``: the URL carries
``AWSAccessKeyId``, ``Expires`` (epoch seconds) and ``Signature``, the base64 HMAC-SHA1, under
the secret key, of::

    METHOD \\n Content-MD5 \\n Content-Type \\n Expires \\n
    CanonicalizedAmzHeaders CanonicalizedResource

where the headers are the request's ``x-amz-*`` headers (lower-cased, sorted, ``name:value\\n``)
and the resource is the path as sent (``/BUCKET`` prefixed for a virtual-hosted-style host)
plus the sub-resources and ``response-*`` overrides of the query, sorted, values decoded.
Refusals are ``sigv4.Refusal`` of the same kinds; past ``Expires`` is "Request has expired".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from collections.abc import Mapping

from lamina.net.messages import Request
from lamina.net.sigv4 import EXPIRED, INCOMPLETE, MISMATCH, UNKNOWN_KEY, Refusal, Signer
from lamina.services.s3.addressing import bucket_host

# The query parameters a SigV2 signature covers (botocore's HmacV1Auth.QSAOfInterest).
_SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "cors", "defaultObjectAcl", "location", "logging", "partNumber",
        "policy", "requestPayment", "torrent", "versioning", "versionId", "versions", "website",
        "uploads", "uploadId", "response-content-type", "response-content-language",
        "response-expires", "response-cache-control", "response-content-disposition",
        "response-content-encoding", "delete", "lifecycle", "tagging", "restore",
        "storageClass", "notification", "replication", "analytics",
        "metrics", "inventory", "select", "select-type", "object-lock",
    }
)  # fmt: skip


def is_presigned(request: Request) -> bool:
    """A SigV2 presigned URL: ``AWSAccessKeyId`` and ``Signature`` in the query, no header."""
    query = request.query
    return "AWSAccessKeyId=" in query and "Signature=" in query


def verify(request: Request, secrets: Mapping[str, str], now: float) -> Signer:
    params = dict(urllib.parse.parse_qsl(request.query, keep_blank_values=True))
    key_id, signature, expires = (
        params.get("AWSAccessKeyId"),
        params.get("Signature"),
        params.get("Expires", ""),
    )
    if not key_id or not signature or not expires.isdigit():
        raise Refusal(
            INCOMPLETE,
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
            "parameters",
        )
    secret = secrets.get(key_id)
    if secret is None:
        raise Refusal(
            UNKNOWN_KEY, "The AWS Access Key Id you provided does not exist in our records."
        )
    if now > int(expires):
        raise Refusal(EXPIRED, "Request has expired")
    amz = sorted(
        (name.lower(), value.strip())
        for name, value in request.headers
        if name.lower().startswith("x-amz-")
    )
    string_to_sign = "\n".join(
        (
            request.method.upper(),
            request.header("content-md5") or "",
            request.header("content-type") or "",
            expires,
            "".join(f"{name}:{value}\n" for name, value in amz) + _resource(request),
        )
    )
    expected = base64.b64encode(
        hmac.new(secret.encode(), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    ).decode()
    if not hmac.compare_digest(expected, signature):
        raise Refusal(
            MISMATCH,
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    return Signer(key_id, "us-east-1", "s3")


def _resource(request: Request) -> str:
    bucket = bucket_host(request.header("host") or "")
    path = request.path
    if bucket is not None:
        path = f"/{bucket}{path}"
    pairs = []
    for item in request.query.split("&"):
        name, sep, value = item.partition("=")
        if name in _SUBRESOURCES:
            pairs.append((name, urllib.parse.unquote(value) if sep else None))
    if not pairs:
        return path
    pairs.sort(key=lambda pair: pair[0])
    return path + "?" + "&".join(n if v is None else f"{n}={v}" for n, v in pairs)
