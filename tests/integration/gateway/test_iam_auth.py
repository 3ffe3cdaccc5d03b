"""IAM authorization (``AWS_IAM``) through a real `lamina up` (in-process) over real HTTP,
requests signed by botocore's SigV4Auth (service execute-api) as AWS clients sign them: a
signature by the key pair `lamina up` made gets in with the caller in the event (REST
``requestContext.identity``, HTTP API ``requestContext.authorizer.iam``); an unsigned request,
an unknown key and a wrong secret get API Gateway's 403 bodies and ``x-amzn-ErrorType``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .support import Reply, Running, running

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "mapping_app" / "template.yaml"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@pytest.fixture(scope="module")
def lamina(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(TEMPLATE, tmp_path_factory.mktemp("iam")) as served:
        yield served


def signed(
    lamina: Running,
    method: str,
    path: str,
    body: bytes = b"",
    key: str | None = None,
    secret: str | None = None,
    service: str = "execute-api",
) -> Reply:
    """``method path`` signed with Lamina's key pair (or ``key``/``secret``)."""
    settings = lamina.lamina.settings
    credentials = Credentials(key or settings.access_key_id, secret or settings.secret_access_key)
    request = AWSRequest(method, f"http://127.0.0.1:{lamina.port}{path}", data=body)
    SigV4Auth(credentials, service, settings.region).add_auth(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    return lamina.request(method, path, body or None, headers)


def test_a_signed_rest_request_gets_in_with_its_caller(lamina: Running) -> None:
    """A REST AWS_IAM method admits a request signed with Lamina's keys; the function's event
    names the caller (access key, account, root user ARN)."""
    reply = signed(lamina, "POST", "/Iam/iam", b'{"x": 1}')
    assert reply.status == 200, reply.body
    identity = reply.json()["requestContext"]["identity"]
    settings = lamina.lamina.settings
    assert identity["accessKey"] == settings.access_key_id
    assert identity["accountId"] == settings.account_id
    assert identity["userArn"] == f"arn:aws:iam::{settings.account_id}:root"
    assert identity["caller"] and identity["user"]


def test_unsigned_and_wrongly_signed_rest_requests_are_refused(lamina: Running) -> None:
    """No signature: 403 Missing Authentication Token; an unknown key: 403 with the invalid
    token message; a wrong secret: 403 with AWS's signature mismatch message."""
    unsigned = lamina.request("POST", "/Iam/iam", b"{}")
    assert unsigned.status == 403
    assert unsigned.json() == {"message": "Missing Authentication Token"}
    assert unsigned.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    unknown = signed(lamina, "POST", "/Iam/iam", b"{}", key="LKIAUNKNOWNUNKNOWN00", secret="s")
    assert unknown.status == 403
    assert unknown.json() == {"message": "The security token included in the request is invalid."}
    assert unknown.header("x-amzn-ErrorType") == "UnrecognizedClientException"
    wrong = signed(lamina, "POST", "/Iam/iam", b"{}", secret="not-the-secret")
    assert wrong.status == 403
    assert wrong.json() == {"message": MISMATCH}
    assert wrong.header("x-amzn-ErrorType") == "InvalidSignatureException"


def test_a_body_changed_after_signing_is_refused(lamina: Running) -> None:
    """The signature covers the body: the same headers with another body do not match."""
    settings = lamina.lamina.settings
    credentials = Credentials(settings.access_key_id, settings.secret_access_key)
    request = AWSRequest("POST", f"http://127.0.0.1:{lamina.port}/Iam/iam", data=b'{"a": 1}')
    SigV4Auth(credentials, "execute-api", settings.region).add_auth(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    tampered = lamina.request("POST", "/Iam/iam", b'{"a": 2}', headers)
    assert tampered.status == 403 and tampered.json() == {"message": MISMATCH}


def test_a_method_without_iam_needs_no_signature(lamina: Running) -> None:
    """Only the AWS_IAM method is protected."""
    assert lamina.get("/Iam/open").status == 200


def test_http_api_iam_route(lamina: Running) -> None:
    """An HTTP API AWS_IAM route admits a signed request with requestContext.authorizer.iam in
    the 2.0 event, and answers 403 Forbidden to an unsigned one."""
    reply = signed(lamina, "GET", "/iamhttp/iam")
    assert reply.status == 200, reply.body
    iam = reply.json()["requestContext"]["authorizer"]["iam"]
    settings = lamina.lamina.settings
    assert iam["accessKey"] == settings.access_key_id
    assert iam["accountId"] == settings.account_id
    assert iam["userArn"] == f"arn:aws:iam::{settings.account_id}:root"
    unsigned = lamina.get("/iamhttp/iam")
    assert unsigned.status == 403 and unsigned.json() == {"message": "Forbidden"}


def test_a_function_url_with_aws_iam(lamina: Running) -> None:
    """A template Function URL with AuthType AWS_IAM answers a request signed for lambda, and
    refuses an unsigned one with the URL's 403."""
    path = "/_lamina/urls/IamEchoFunction/hello"
    reply = signed(lamina, "GET", path, service="lambda")
    assert reply.status == 200, reply.body
    assert reply.json()["rawPath"] == "/hello"
    unsigned = lamina.get(path)
    assert unsigned.status == 403 and unsigned.json() == {"Message": "Forbidden"}
    assert unsigned.header("x-amzn-ErrorType") == "AccessDeniedException"
