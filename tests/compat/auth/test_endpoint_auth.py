"""The AWS endpoint of `lamina up` from outside, with the attacks as the tests: unsigned and
wrongly signed requests through boto3 and raw HTTP, a stale clock, a rebinding Host and a
cross-origin fetch are refused with AWS's errors in the client's protocol; the key pair
`lamina up` prints and `lamina env` exports works for boto3 and the AWS CLI."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.asyncinvoke.lamina_up import ROOT, LaminaUp

pytestmark = pytest.mark.slow
_NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    template = ROOT / "examples" / "hello" / "template.yaml"
    up = LaminaUp(template, tmp_path_factory.mktemp("auth") / "state").start()
    yield up
    up.stop()


def client(server: LaminaUp, service: str, **kw: Any) -> Any:
    made = boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1", **kw)
    return made


def code_of(call: Any, **kw: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as failed:
        call(**kw)
    error = failed.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]


def test_the_printed_key_pair_works(server: LaminaUp) -> None:
    """`lamina up` prints the state directory's pair, and boto3 with it lists tables and
    functions. (Functions get the pair too: tests/integration/dynamodb's items app calls
    DynamoDB from its functions, with the credentials Lamina gave them.)"""
    pair = server.key_pair
    assert f"AWS_ACCESS_KEY_ID={pair.access_key_id}" in server.log()
    assert server.aws("dynamodb").list_tables()["TableNames"] == []
    names = [f["FunctionName"] for f in server.aws("lambda").list_functions()["Functions"]]
    assert names


def test_unsigned_requests_are_refused_in_each_protocol(server: LaminaUp) -> None:
    unsigned = Config(signature_version=UNSIGNED, retries={"max_attempts": 1})
    ddb = client(server, "dynamodb", config=unsigned)
    assert code_of(ddb.list_tables) == ("MissingAuthenticationTokenException", 400)
    lam = client(server, "lambda", config=unsigned)
    assert code_of(lam.list_functions) == ("MissingAuthenticationTokenException", 403)
    ddb.close()
    lam.close()


def test_a_wrong_secret_or_an_unknown_key_is_refused(server: LaminaUp) -> None:
    pair = server.key_pair
    wrong = client(
        server,
        "dynamodb",
        aws_access_key_id=pair.access_key_id,
        aws_secret_access_key="not-the-secret",
        config=_NO_RETRY,
    )
    assert code_of(wrong.list_tables) == ("InvalidSignatureException", 400)
    unknown = client(
        server,
        "lambda",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="x",
        config=_NO_RETRY,
    )
    assert code_of(unknown.list_functions) == ("UnrecognizedClientException", 403)
    wrong.close()
    unknown.close()


def test_a_clock_skewed_by_more_than_15_minutes_is_refused(
    server: LaminaUp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore signs with a clock 20 minutes behind: AWS's 'Signature expired' answer."""
    import botocore.auth

    late = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: late)
    ddb = server.aws("dynamodb")
    with pytest.raises(ClientError) as failed:
        ddb.list_tables()
    assert failed.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert "Signature expired" in failed.value.response["Error"]["Message"]


def test_the_aws_cli_works_with_lamina_env(server: LaminaUp) -> None:
    """`eval "$(lamina env ...)"` then `aws dynamodb list-tables` needs nothing else."""
    script = (
        f'eval "$({sys.executable} -m lamina env {ROOT / "examples" / "hello"} '
        f'--state-dir {server.state_dir} --services-port {server.endpoint.rsplit(":", 1)[1]})" '
        "&& aws dynamodb list-tables --output json"
    )
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"TableNames": []}


def _raw(server: LaminaUp, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        server.endpoint + "/",
        data=b'{"FunctionName":"x"}',
        headers={"Content-Type": "text/plain", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_a_rebinding_host_and_a_cross_origin_fetch_are_refused(server: LaminaUp) -> None:
    """A page whose name was rebound to 127.0.0.1 sends its own Host; a page elsewhere sends its
    Origin: both get 403 and no CORS header, before any signature is looked at."""
    status, headers, body = _raw(server, {"Host": "attacker.example:4566"})
    assert status == 403 and b"attacker.example" in body
    status, headers, body = _raw(
        server,
        {"Origin": "https://attacker.example", "X-Amz-Target": "DynamoDB_20120810.ListTables"},
    )
    assert status == 403
    assert not any(k.lower().startswith("access-control-") for k in headers)
    with urllib.request.urlopen(server.endpoint + "/_lamina/health", timeout=10) as response:
        assert response.status == 200


def test_accept_any_credentials_lets_unsigned_in_and_warns(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    template = ROOT / "examples" / "hello" / "template.yaml"
    up = LaminaUp(
        template,
        tmp_path_factory.mktemp("any") / "state",
        env={"LAMINA_ACCEPT_ANY_CREDENTIALS": "1"},
    ).start()
    try:
        assert "LAMINA_ACCEPT_ANY_CREDENTIALS is on" in up.log()
        unsigned = client(up, "dynamodb", config=Config(signature_version=UNSIGNED))
        assert unsigned.list_tables()["TableNames"] == []
        unsigned.close()
    finally:
        up.stop()
