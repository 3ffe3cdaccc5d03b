"""Signed HTML forms: S3's POST policy uploads, as a browser sends them, and their signature.

A form is ``POST`` with ``Content-Type: multipart/form-data`` and no ``Authorization`` header.
``read(request)`` parses its fields (names compared case-insensitively, as S3 does; the
``file`` field is the last one S3 reads, fields after it are ignored) and the file's bytes and
name. ``verify(form, secrets)`` checks the signature the form carries over the base64
``policy`` field as sent: SigV4, ``x-amz-signature`` = hex HMAC-SHA256 of it under the day's
signing key of the scope ``x-amz-credential`` names (AWS's "Authenticating Requests in Browser-
Based Uploads Using POST"), or SigV2, ``signature`` = base64 HMAC-SHA1 of it under the secret
of ``AWSAccessKeyId`` (what boto3's ``generate_presigned_post`` makes unless configured for
``s3v4``). A form without a signature is refused (``MISSING``) like any
unsigned request. What the policy allows (expiration, conditions) is the service's to check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from lamina.net.messages import Request
from lamina.net.sigv4 import (
    ALGORITHM,
    INCOMPLETE,
    MISMATCH,
    MISSING,
    UNKNOWN_KEY,
    Refusal,
    Signer,
    signing_key,
)

_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))')


@dataclass(frozen=True, slots=True)
class Form:
    # Lower-cased field name -> value, the file's field excluded.
    fields: dict[str, str]
    file: bytes
    filename: str
    # The fields as the browser named them, in order (S3 names unexpected ones in its error).
    names: tuple[str, ...] = ()

    def get(self, name: str) -> str | None:
        return self.fields.get(name.lower())


def is_form(request: Request) -> bool:
    """A browser form POST: multipart/form-data, no Authorization header, no presigned query."""
    content_type = (request.header("content-type") or "").lower()
    return (
        request.method == "POST"
        and content_type.startswith("multipart/form-data")
        and request.header("authorization") is None
        and "X-Amz-Credential=" not in request.query
    )


def read(request: Request) -> Form:
    """The form's fields and file; a body that is not a well-formed form is ``INCOMPLETE``."""
    content_type = request.header("content-type") or ""
    boundary = _params(content_type).get("boundary")
    if not boundary:
        raise Refusal(
            INCOMPLETE, "The body of your POST request is not well-formed multipart/form-data."
        )
    fields: dict[str, str] = {}
    names: list[str] = []
    file: bytes | None = None
    filename = ""
    for headers, content in _parts(request.body, boundary.encode("latin-1")):
        disposition = headers.get("content-disposition", "")
        params = _params(disposition)
        name = params.get("name")
        if name is None:
            continue
        if name.lower() == "file":
            file, filename = content, params.get("filename", "")
            break
        names.append(name)
        fields[name.lower()] = content.decode("utf-8", "replace")
    if file is None:
        raise Refusal(
            INCOMPLETE,
            "POST requires exactly one file upload per request.",
        )
    return Form(fields, file, filename, tuple(names))


def credential_scope(form: Form) -> tuple[str, str] | None:
    """(region, service) of the form's ``x-amz-credential``, if well formed."""
    parts = (form.get("x-amz-credential") or "").split("/")
    return (parts[2], parts[3]) if len(parts) == 5 and parts[4] == "aws4_request" else None


def verify(form: Form, secrets: Mapping[str, str]) -> Signer:
    """Who signed the form's policy, or a ``Refusal`` saying why it is not signed."""
    signature, policy = form.get("x-amz-signature"), form.get("policy")
    if signature is None and form.get("signature") is None:
        raise Refusal(MISSING, "Request is missing a signature: the form has no x-amz-signature.")
    if signature is None:
        return _verify_v2(form, secrets)
    if signature is None or policy is None or form.get("x-amz-algorithm") != ALGORITHM:
        raise Refusal(
            INCOMPLETE,
            "The form must carry policy, x-amz-algorithm=AWS4-HMAC-SHA256, x-amz-credential, "
            "x-amz-date and x-amz-signature.",
        )
    credential = (form.get("x-amz-credential") or "").split("/")
    if len(credential) != 5 or credential[4] != "aws4_request":
        raise Refusal(
            INCOMPLETE, "Invalid x-amz-credential: it must be KEY/DATE/REGION/SERVICE/aws4_request."
        )
    access_key, date, region, service, _ = credential
    secret = secrets.get(access_key)
    if secret is None:
        raise Refusal(
            UNKNOWN_KEY, "The AWS Access Key Id you provided does not exist in our records."
        )
    key = signing_key(secret, date, region, service)
    expected = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise Refusal(
            MISMATCH,
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    return Signer(access_key, region, service)


def _verify_v2(form: Form, secrets: Mapping[str, str]) -> Signer:
    access_key, policy = form.get("awsaccesskeyid"), form.get("policy")
    if access_key is None or policy is None:
        raise Refusal(INCOMPLETE, "The form must carry policy, AWSAccessKeyId and signature.")
    secret = secrets.get(access_key)
    if secret is None:
        raise Refusal(
            UNKNOWN_KEY, "The AWS Access Key Id you provided does not exist in our records."
        )
    digest = hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()
    if not hmac.compare_digest(base64.b64encode(digest).decode(), form.get("signature") or ""):
        raise Refusal(
            MISMATCH,
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    return Signer(access_key, "us-east-1", "s3")


def _params(header: str) -> dict[str, str]:
    """A header's ``; name=value`` parameters, lower-cased names, quotes removed."""
    found: dict[str, str] = {}
    for match in _PARAM.finditer(";" + header.split(";", 1)[1] if ";" in header else ""):
        quoted, bare = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare.strip()
        found.setdefault(match.group(1).lower(), value)
    return found


def _parts(body: bytes, boundary: bytes) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a multipart body: (lower-cased headers, content) each."""
    pieces = (b"\r\n" + body).split(b"\r\n--" + boundary)
    parts: list[tuple[dict[str, str], bytes]] = []
    for piece in pieces[1:]:
        if piece.startswith(b"--"):
            break
        head, sep, content = piece.partition(b"\r\n\r\n")
        if not sep:
            raise Refusal(
                INCOMPLETE, "The body of your POST request is not well-formed multipart/form-data."
            )
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        parts.append((headers, content))
    return parts
