"""SigV4 verification against botocore's own signers: what an SDK signs, Lamina accepts, and any
change to a signed part of the request, a wrong secret, an unknown key or a stale time is refused
with the kind of refusal AWS names."""

from __future__ import annotations

import time
import urllib.parse

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from lamina.net import sigv4
from lamina.net.messages import Request
from lamina.net.sigv4 import Refusal, verify
from lamina.services.auth.refusals import error_for
from lamina.services.protocols.wire import JSON, QUERY, REST_JSON, REST_XML

KEY_ID = "LKIAEXAMPLEEXAMPLE00"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SECRETS = {KEY_ID: SECRET}


def signed(
    method: str = "POST",
    url: str = "http://127.0.0.1:4566/",
    body: bytes = b"{}",
    headers: dict[str, str] | None = None,
    service: str = "dynamodb",
    signer: type[SigV4Auth] = SigV4Auth,
    secret: str = SECRET,
    **signer_args: int,
) -> Request:
    """A request as botocore signs it, turned into what Lamina's server hands the endpoint."""
    aws = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    signer(Credentials(KEY_ID, secret), service, "us-east-1", **signer_args).add_auth(aws)
    prepared = aws.prepare()
    parts = urllib.parse.urlsplit(prepared.url)
    header_list = [(k, v) for k, v in prepared.headers.items()]
    if not any(k.lower() == "host" for k, _ in header_list):
        header_list.insert(0, ("Host", parts.netloc))
    return Request(method, parts.path, parts.query, header_list, prepared.body or b"")


def kind_of(request: Request, now: float | None = None) -> str:
    with pytest.raises(Refusal) as refused:
        verify(request, SECRETS, now)
    return refused.value.kind


def test_a_header_signed_json_request_is_accepted_and_names_its_signer() -> None:
    request = signed(headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"})
    signer = verify(request, SECRETS)
    assert (signer.access_key_id, signer.region, signer.service) == (
        KEY_ID,
        "us-east-1",
        "dynamodb",
    )


def test_a_rest_request_with_an_encoded_path_and_a_query_is_accepted() -> None:
    """Lambda's paths carry percent-encoded ARNs and its queries qualifiers: the canonical path is
    double-encoded for every service but S3."""
    request = signed(
        method="GET",
        url="http://127.0.0.1:4566/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/configuration?Qualifier=%24LATEST&b=2",
        body=b"",
        service="lambda",
    )
    assert verify(request, SECRETS).service == "lambda"


def test_s3_signs_its_path_as_sent_and_its_payload_hash_header() -> None:
    request = signed(
        method="PUT",
        url="http://127.0.0.1:4566/bucket/a%20key/with~tilde",
        body=b"hello",
        service="s3",
        signer=S3SigV4Auth,
    )
    assert verify(request, SECRETS).service == "s3"


def test_presigned_urls_are_accepted_until_they_expire() -> None:
    request = signed(
        method="GET",
        url="http://127.0.0.1:4566/bucket/key.txt",
        body=b"",
        service="s3",
        signer=S3SigV4QueryAuth,
        expires=60,
    )
    assert "X-Amz-Signature=" in request.query
    assert verify(request, SECRETS).service == "s3"
    assert kind_of(request, time.time() + 120) == sigv4.EXPIRED


def test_a_presigned_query_for_another_service_is_accepted() -> None:
    request = signed(
        method="GET",
        url="http://127.0.0.1:4566/?Action=GetCallerIdentity&Version=2011-06-15",
        body=b"",
        service="sts",
        signer=SigV4QueryAuth,
    )
    assert verify(request, SECRETS).service == "sts"


def test_no_signature_is_missing() -> None:
    request = Request("POST", "/", "", [("Host", "127.0.0.1:4566")], b"{}")
    assert kind_of(request) == sigv4.MISSING


def test_a_wrong_secret_does_not_match() -> None:
    assert kind_of(signed(secret="not-the-secret")) == sigv4.MISMATCH


def test_an_unknown_key_is_refused_as_unknown() -> None:
    request = signed()
    with pytest.raises(Refusal) as refused:
        verify(request, {"LKIAOTHEROTHEROTHER0": SECRET})
    assert refused.value.kind == sigv4.UNKNOWN_KEY


def test_a_changed_body_method_path_or_signed_header_does_not_match() -> None:
    request = signed(headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"})
    for change in (
        {"body": b'{"a":1}'},
        {"method": "PUT"},
        {"path": "/other"},
        {"query": "x=1"},
        {
            "headers": [
                (k, "DynamoDB_20120810.DeleteTable" if k.lower() == "x-amz-target" else v)
                for k, v in request.headers
            ]
        },
    ):
        changed = Request(
            change.get("method", request.method),  # type: ignore[arg-type]
            change.get("path", request.path),  # type: ignore[arg-type]
            change.get("query", request.query),  # type: ignore[arg-type]
            change.get("headers", request.headers),  # type: ignore[arg-type]
            change.get("body", request.body),  # type: ignore[arg-type]
        )
        assert kind_of(changed) == sigv4.MISMATCH, change


def test_a_clock_skew_over_fifteen_minutes_is_refused_either_way() -> None:
    request = signed()
    assert verify(request, SECRETS, time.time() + 14 * 60)
    assert kind_of(request, time.time() + 16 * 60) == sigv4.EXPIRED
    assert kind_of(request, time.time() - 16 * 60) == sigv4.EXPIRED


def test_a_malformed_authorization_header_is_incomplete_and_says_what_is_missing() -> None:
    request = Request(
        "POST",
        "/",
        "",
        [("Host", "h"), ("Authorization", "AWS4-HMAC-SHA256 SignedHeaders=host")],
        b"",
    )
    with pytest.raises(Refusal) as refused:
        verify(request, SECRETS)
    assert refused.value.kind == sigv4.INCOMPLETE
    assert "requires 'Credential' parameter" in refused.value.message
    assert "requires 'Signature' parameter" in refused.value.message
    assert "'X-Amz-Date' or a 'Date' header" in refused.value.message


def test_a_payload_hash_that_is_not_the_bodys_is_refused() -> None:
    request = signed(
        method="PUT", url="http://127.0.0.1:4566/b/k", body=b"x", service="s3", signer=S3SigV4Auth
    )
    tampered = Request(request.method, request.path, request.query, request.headers, b"y")
    assert kind_of(tampered) == sigv4.BODY_MISMATCH


def test_each_protocol_names_a_refusal_as_aws_does() -> None:
    mismatch = Refusal(sigv4.MISMATCH, "m")
    assert (error_for(mismatch, JSON).code, error_for(mismatch, JSON).status) == (
        "InvalidSignatureException",
        400,
    )
    assert error_for(mismatch, REST_JSON).status == 403
    assert error_for(mismatch, QUERY).code == "SignatureDoesNotMatch"
    assert error_for(Refusal(sigv4.MISSING, "m"), QUERY).code == "MissingAuthenticationToken"
    assert error_for(Refusal(sigv4.MISSING, "m"), REST_XML).code == "AccessDenied"
    assert error_for(Refusal(sigv4.UNKNOWN_KEY, "m"), REST_XML).code == "InvalidAccessKeyId"
    skewed = error_for(Refusal(sigv4.EXPIRED, "Signature expired: ..."), REST_XML)
    assert skewed.code == "RequestTimeTooSkewed"


_SEGMENT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), min_size=1, max_size=8
)


@settings(max_examples=150, deadline=None)
@given(
    segments=st.lists(_SEGMENT, min_size=1, max_size=4),
    params=st.lists(st.tuples(_SEGMENT, st.text(max_size=8)), max_size=4),
    body=st.binary(max_size=64),
    service=st.sampled_from(["dynamodb", "lambda", "s3", "sqs"]),
)
def test_whatever_botocore_signs_verifies_and_a_flipped_body_byte_does_not(
    segments: list[str], params: list[tuple[str, str]], body: bytes, service: str
) -> None:
    path = "/" + "/".join(urllib.parse.quote(s, safe="") for s in segments)
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    url = f"http://127.0.0.1:4566{path}" + (f"?{query}" if query else "")
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    request = signed(method="POST", url=url, body=body, service=service, signer=signer)
    assert verify(request, SECRETS).service == service
    if body:
        flipped = bytes([body[0] ^ 1]) + body[1:]
        changed = Request(request.method, request.path, request.query, request.headers, flipped)
        assert kind_of(changed) in (sigv4.MISMATCH, sigv4.BODY_MISMATCH)
