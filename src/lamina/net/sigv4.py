"""Signature Version 4, checked from the receiving side.

``verify(request, secrets, now)`` recomputes a request's SigV4 signature (Authorization header or
presigned query) the way the signer computed it and answers who signed it, or raises a
``Refusal`` naming why not. The kinds of refusal are AWS's; which code and status each becomes is
the business of whoever answers: the AWS endpoint (``lamina.services.auth.refusals``), or the
gateway for API Gateway's IAM authorization (``lamina.gateway.iam``).

What the signer did, and so what is redone here (botocore's ``SigV4Auth`` and AWS's
"Create a canonical request" page agree):
- the canonical URI is the path as sent, with dot segments and empty segments removed and then
  percent-encoded again ("double-encoded"), except for S3, which signs the path exactly as sent;
- the canonical query is every name=value pair but ``X-Amz-Signature``, encoded with the
  unreserved set ``-_.~`` and sorted; clients that encoded otherwise (``+`` for a space) are
  tried as sent too, so a signature that matches either way is accepted;
- the signed headers are the ones ``SignedHeaders`` lists, lower-cased, values trimmed and their
  inner runs of spaces collapsed, repeated headers joined by ``,``;
- the payload hash is ``X-Amz-Content-SHA256`` when sent (S3 requires it, and it must match the
  body when it is a hash, a check left to the receiver of a streamed body, ``request.stream``),
  ``UNSIGNED-PAYLOAD`` for S3's presigned URLs, else SHA-256 of the body.

Streaming uploads (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``) are checked on their seed signature
only; the per-chunk signatures are S3's to check when it decodes the chunks.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import hmac
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_tz

from lamina import timestamps
from lamina.clock import SYSTEM
from lamina.net.messages import Request

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# How far a request's time may be from ours, either way, as AWS allows.
MAX_SKEW_S = 15 * 60
# A presigned URL lives at most seven days.
MAX_EXPIRES_S = 7 * 24 * 3600
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_HEX64 = re.compile(r"[0-9a-f]{64}")
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
_UNRESERVED = "-_.~"

# Kinds of refusal, as AWS's documentation names the failures.
MISSING = "missing"  # no signature at all
INCOMPLETE = "incomplete"  # a signature that is not well formed
UNKNOWN_KEY = "unknown-key"  # an access key Lamina does not know
MISMATCH = "mismatch"  # the signature does not match
EXPIRED = "expired"  # a time outside the allowed skew, or a presigned URL past its expiry
BODY_MISMATCH = "body-mismatch"  # X-Amz-Content-SHA256 is not the body's hash


class Refusal(Exception):
    """Why a request is not authenticated: ``kind`` is one of the kinds above."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signed a request, and the scope they signed it for."""

    access_key_id: str
    region: str
    service: str


@dataclass(frozen=True, slots=True)
class _Signed:
    """What a request says about its signature, from its header or its query."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    presigned: bool
    expires: int | None = None


def verify(request: Request, secrets: Mapping[str, str], now: float | None = None) -> Signer:
    """The request's signer, once its signature checks out against ``secrets`` (key id ->
    secret key); raises ``Refusal`` otherwise."""
    now = SYSTEM.wall() if now is None else now
    signed = _read(request)
    secret = secrets.get(signed.access_key_id)
    if secret is None:
        raise Refusal(UNKNOWN_KEY, "The security token included in the request is invalid.")
    _check_time(signed, request, now)
    payload = _payload_hash(request, signed)
    key = signing_key(secret, signed.date, signed.region, signed.service)
    scope = f"{signed.date}/{signed.region}/{signed.service}/aws4_request"
    canonical = ""
    for query in _query_forms(request.query, signed.presigned):
        canonical = "\n".join(
            (
                request.method.upper(),
                _canonical_path(request.path, signed.service),
                query,
                _canonical_headers(request, signed.signed_headers),
                ";".join(signed.signed_headers),
                payload,
            )
        )
        string_to_sign = "\n".join(
            (ALGORITHM, signed.amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest())
        )
        # hmac.digest: the one-shot C function, a third of hmac.new's cost.
        expected = hmac.digest(key, string_to_sign.encode(), "sha256").hex()
        if hmac.compare_digest(expected, signed.signature):
            return Signer(signed.access_key_id, signed.region, signed.service)
    raise Refusal(
        MISMATCH,
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service documentation "
        "for details.",
    )


@functools.lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The day's key for a scope (four HMACs; the same for every request of that day)."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _read(request: Request) -> _Signed:
    authorization = request.header("authorization")
    if authorization:
        return _from_header(request, authorization)
    if "X-Amz-Signature=" in request.query or "X-Amz-Credential=" in request.query:
        return _from_query(request)
    raise Refusal(MISSING, "Missing Authentication Token")


def _from_header(request: Request, authorization: str) -> _Signed:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise Refusal(
            INCOMPLETE,
            f"Unsupported AWS 'algorithm': '{algorithm}'. Only '{ALGORITHM}' is accepted.",
        )
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, eq, value = part.strip().partition("=")
        if eq:
            fields[name] = value
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    amz_date = request.header("x-amz-date")
    if amz_date is None:
        amz_date = _from_http_date(request.header("date"))
    if amz_date is None:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing:
        raise Refusal(INCOMPLETE, " ".join(missing) + f" Authorization={authorization}")
    assert amz_date is not None
    return _signed(
        fields["Credential"], fields["SignedHeaders"], fields["Signature"], amz_date, False, None
    )


def _from_query(request: Request) -> _Signed:
    params = dict(urllib.parse.parse_qsl(request.query, keep_blank_values=True))
    missing = [
        name
        for name in (
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Signature",
            "X-Amz-SignedHeaders",
            "X-Amz-Date",
        )
        if not params.get(name)
    ]
    if missing:
        raise Refusal(
            INCOMPLETE,
            "AWS query-string parameters must include "
            + ", ".join(f"'{name}'" for name in missing)
            + ". Re-examine the query-string parameters.",
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise Refusal(INCOMPLETE, f"X-Amz-Algorithm only supports '{ALGORITHM}'")
    expires: int | None = None
    raw_expires = params.get("X-Amz-Expires")
    if raw_expires is not None:
        if not raw_expires.isdigit():
            raise Refusal(INCOMPLETE, "X-Amz-Expires should be a number")
        expires = int(raw_expires)
        if expires > MAX_EXPIRES_S:
            raise Refusal(
                INCOMPLETE, "X-Amz-Expires must be less than a week (in seconds) that is 604800"
            )
    return _signed(
        params["X-Amz-Credential"],
        params["X-Amz-SignedHeaders"],
        params["X-Amz-Signature"],
        params["X-Amz-Date"],
        True,
        expires,
    )


def _signed(
    credential: str,
    signed_headers: str,
    signature: str,
    amz_date: str,
    presigned: bool,
    expires: int | None,
) -> _Signed:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        raise Refusal(
            INCOMPLETE,
            f"Credential should be scoped to a valid region, service and 'aws4_request'. "
            f"Credential={credential}",
        )
    if not _AMZ_DATE.fullmatch(amz_date):
        raise Refusal(
            INCOMPLETE,
            f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See "
            "http://en.wikipedia.org/wiki/ISO_8601",
        )
    if parts[1] != amz_date[:8]:
        raise Refusal(
            MISMATCH,
            f"Credential should be scoped to a valid date: '{parts[1]}' != '{amz_date[:8]}'.",
        )
    return _Signed(
        access_key_id=parts[0],
        date=parts[1],
        region=parts[2],
        service=parts[3],
        signed_headers=_header_names(signed_headers),
        signature=signature.strip().lower(),
        amz_date=amz_date,
        presigned=presigned,
        expires=expires,
    )


@functools.lru_cache(maxsize=256)
def _header_names(signed_headers: str) -> tuple[str, ...]:
    """SignedHeaders as names (a client signs the same few sets over and over)."""
    return tuple(h.strip().lower() for h in signed_headers.split(";") if h.strip())


def _from_http_date(value: str | None) -> str | None:
    if not value:
        return None
    parsed = parsedate_tz(value)
    if parsed is None:
        return None
    stamp = calendar.timegm(parsed[:9]) - (parsed[9] or 0)
    return timestamps.amz_date(stamp)


@functools.lru_cache(maxsize=64)
def _epoch(d: str) -> int:
    """An X-Amz-Date as epoch seconds (a client's requests share theirs within each second)."""
    return calendar.timegm(
        (int(d[0:4]), int(d[4:6]), int(d[6:8]), int(d[9:11]), int(d[11:13]), int(d[13:15]))
    )


def _check_time(signed: _Signed, request: Request, now: float) -> None:
    at = _epoch(signed.amz_date)  # checked against _AMZ_DATE: 8 digits, T, 6 digits, Z
    if signed.presigned:
        if at > now + MAX_SKEW_S:
            raise Refusal(EXPIRED, "Request is not valid yet")
        if signed.expires is not None and now > at + signed.expires:
            raise Refusal(EXPIRED, "Request has expired")
        return
    if at < now - MAX_SKEW_S:
        stamp = timestamps.amz_date(now)
        earliest = timestamps.amz_date(now - MAX_SKEW_S)
        raise Refusal(
            EXPIRED,
            f"Signature expired: {signed.amz_date} is now earlier than {earliest} "
            f"({stamp} - 15 min.)",
        )
    if at > now + MAX_SKEW_S:
        stamp = timestamps.amz_date(now)
        latest = timestamps.amz_date(now + MAX_SKEW_S)
        raise Refusal(
            EXPIRED,
            f"Signature not yet current: {signed.amz_date} is still later than {latest} "
            f"({stamp} + 15 min.)",
        )


def _payload_hash(request: Request, signed: _Signed) -> str:
    declared = request.header("x-amz-content-sha256")
    if declared is not None:
        # A streamed body (``request.stream``) is not here yet: its receiver checks the hash.
        if (
            request.stream is None
            and _HEX64.fullmatch(declared)
            and declared != _body_hash(request.body)
        ):
            raise Refusal(
                BODY_MISMATCH,
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
        return declared
    if signed.presigned and signed.service == "s3":
        return UNSIGNED_PAYLOAD
    return _body_hash(request.body)


def _body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256


def _canonical_path(raw: str, service: str) -> str:
    if service == "s3":
        return raw or "/"
    return _normalised_path(raw)


@functools.lru_cache(maxsize=1024)
def _normalised_path(raw: str) -> str:
    """A path as SigV4 normalises it for every service but S3 (few and repeated: cached)."""
    segments = [s for s in raw.split("/") if s and s != "."]
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        else:
            kept.append(segment)
    path = "/" + "/".join(kept)
    if raw.endswith("/") and kept:
        path += "/"
    return urllib.parse.quote(path, safe="/~")


def _query_forms(raw: str, presigned: bool) -> list[str]:
    """The canonical query string, normalised as the SigV4 rules say and, when that differs, as
    the client sent it (botocore signs the encoded query of a URL exactly as it appears)."""
    if not raw:  # JSON and most REST requests
        return [""]
    pairs = [pair.partition("=") for pair in raw.split("&") if pair]
    kept = [(k, v) for k, _, v in pairs if not (presigned and k == "X-Amz-Signature")]
    normal = "&".join(
        f"{k}={v}"
        for k, v in sorted(
            (
                urllib.parse.quote(urllib.parse.unquote(k), safe=_UNRESERVED),
                urllib.parse.quote(urllib.parse.unquote(v), safe=_UNRESERVED),
            )
            for k, v in kept
        )
    )
    as_sent = "&".join(f"{k}={v}" for k, v in sorted(kept))
    return [normal] if as_sent == normal else [normal, as_sent]


def _canonical_headers(request: Request, names: tuple[str, ...]) -> str:
    wanted: dict[str, list[str]] = {name: [] for name in names}
    for key, value in request.headers:
        found = wanted.get(key.lower())
        if found is not None:
            found.append(" ".join(value.split()))
    if "host" in wanted and not wanted["host"]:
        wanted["host"].append(request.host)
    return "".join(f"{name}:{','.join(values)}\n" for name, values in wanted.items())
