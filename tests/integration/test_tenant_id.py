"""The Invoke API's ``X-Amz-Tenant-Id`` header reaches the function as ``context.tenant_id``.

A plain HTTP request (no SDK client; signed with botocore's SigV4 signer by a key pair the
server is given) to ``lamina up``'s AWS endpoint, as API Gateway's integration or
``aws lambda invoke --tenant-id`` sends it; without the header the context's tenant id is None.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.integration.asyncinvoke.lamina_up import LaminaUp

pytestmark = pytest.mark.slow
FUNCTIONS = Path(__file__).parent / "functions" / "app"
KEY = Credentials("LKIATENANTTESTKEY234", "tenant-test-secret")
TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  ContextFunction:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.11, CodeUri: src/, Handler: basic.context_fields}
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LaminaUp]:
    app = tmp_path / "app"
    shutil.copytree(FUNCTIONS, app / "src")
    (app / "template.yaml").write_text(TEMPLATE)
    pair = f"{KEY.access_key}:{KEY.secret_key}"
    up = LaminaUp(app / "template.yaml", tmp_path / "state", {"LAMINA_CREDENTIALS": pair}).start()
    yield up
    up.stop()


def _send(method: str, url: str, body: bytes, headers: dict[str, str]) -> Any:
    signed = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(KEY, "lambda", "us-east-1").add_auth(signed)
    request = urllib.request.Request(url, data=body or None, method=method)
    for header, value in signed.headers.items():
        request.add_header(header, value)
    return urllib.request.urlopen(request, timeout=30)


def _invoke(server: LaminaUp, name: str, headers: dict[str, str]) -> dict[str, Any]:
    url = f"{server.endpoint}/2015-03-31/functions/{name}/invocations"
    with _send("POST", url, b"{}", {"Content-Type": "application/json", **headers}) as answer:
        assert answer.headers.get("X-Amz-Function-Error") is None
        return dict(json.loads(answer.read()))


def test_tenant_id_header_is_the_context_tenant_id(server: LaminaUp) -> None:
    """An invocation carrying X-Amz-Tenant-Id: blue sees context.tenant_id == "blue"; the next
    one on the same (warm) environment without the header sees None again."""
    with _send("GET", f"{server.endpoint}/2015-03-31/functions/", b"", {}) as got:
        names = [f["FunctionName"] for f in json.loads(got.read())["Functions"]]
    (name,) = [n for n in names if "ContextFunction" in n]
    assert _invoke(server, name, {"X-Amz-Tenant-Id": "blue"})["tenant_id"] == "blue"
    assert _invoke(server, name, {})["tenant_id"] is None
