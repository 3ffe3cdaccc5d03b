"""A refused signature as each protocol's clients expect to read it.

The same failure has different names and statuses across AWS's protocols; these are the ones AWS
answers with (json services such as DynamoDB answer 400 with a ``...Exception`` code, Lambda's
rest-json answers 403, query services such as STS and SNS answer 403 with the bare code, and S3
has its own names). The messages are the verifier's, except where S3 words them its own way.
"""

from __future__ import annotations

from lamina.errors import AwsError
from lamina.net.sigv4 import (
    BODY_MISMATCH,
    EXPIRED,
    INCOMPLETE,
    MISMATCH,
    MISSING,
    UNKNOWN_KEY,
    Refusal,
)
from lamina.services.protocols.wire import JSON, QUERY, REST_JSON, REST_XML

# (protocol, kind) -> (code, status, message or None to keep the verifier's)
_TABLE: dict[tuple[str, str], tuple[str, int, str | None]] = {
    (JSON, MISSING): (
        "MissingAuthenticationTokenException",
        400,
        "Request is missing Authentication Token",
    ),
    (JSON, INCOMPLETE): ("IncompleteSignatureException", 400, None),
    (JSON, UNKNOWN_KEY): ("UnrecognizedClientException", 400, None),
    (JSON, MISMATCH): ("InvalidSignatureException", 400, None),
    (JSON, EXPIRED): ("InvalidSignatureException", 400, None),
    (JSON, BODY_MISMATCH): ("InvalidSignatureException", 400, None),
    (REST_JSON, MISSING): ("MissingAuthenticationTokenException", 403, None),
    (REST_JSON, INCOMPLETE): ("IncompleteSignatureException", 403, None),
    (REST_JSON, UNKNOWN_KEY): ("UnrecognizedClientException", 403, None),
    (REST_JSON, MISMATCH): ("InvalidSignatureException", 403, None),
    (REST_JSON, EXPIRED): ("InvalidSignatureException", 403, None),
    (REST_JSON, BODY_MISMATCH): ("InvalidSignatureException", 403, None),
    (QUERY, MISSING): (
        "MissingAuthenticationToken",
        403,
        "Request is missing Authentication Token",
    ),
    (QUERY, INCOMPLETE): ("IncompleteSignature", 400, None),
    (QUERY, UNKNOWN_KEY): ("InvalidClientTokenId", 403, None),
    (QUERY, MISMATCH): ("SignatureDoesNotMatch", 403, None),
    (QUERY, EXPIRED): ("SignatureDoesNotMatch", 403, None),
    (QUERY, BODY_MISMATCH): ("SignatureDoesNotMatch", 403, None),
    (REST_XML, MISSING): ("AccessDenied", 403, "Access Denied"),
    (REST_XML, INCOMPLETE): ("AuthorizationHeaderMalformed", 400, None),
    (REST_XML, UNKNOWN_KEY): (
        "InvalidAccessKeyId",
        403,
        "The AWS Access Key Id you provided does not exist in our records.",
    ),
    (REST_XML, MISMATCH): (
        "SignatureDoesNotMatch",
        403,
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
    ),
    (REST_XML, EXPIRED): ("AccessDenied", 403, None),
    (REST_XML, BODY_MISMATCH): ("XAmzContentSHA256Mismatch", 400, None),
}
_S3_SKEWED = (
    "RequestTimeTooSkewed",
    403,
    "The difference between the request time and the current time is too large.",
)


class AuthError(AwsError):
    """A refused signature; its code and status are the instance's, chosen by protocol."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code  # type: ignore[misc]
        self.status = status  # type: ignore[misc]


def error_for(refusal: Refusal, protocol: str) -> AuthError:
    key = (protocol if protocol in (QUERY, REST_JSON, REST_XML) else JSON, refusal.kind)
    code, status, message = _TABLE[key]
    if key == (REST_XML, EXPIRED) and refusal.message.startswith("Signature"):
        code, status, message = _S3_SKEWED
    return AuthError(code, status, message or refusal.message)
