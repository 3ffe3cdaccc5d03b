"""A request for an AWS service or operation Lamina does not serve is answered in the protocol its
client spoke, naming it: boto3 raises a clean ``ClientError`` with the code that protocol's
clients expect, and the AWS CLI prints one line. Served services (DynamoDB over json, Lambda over
rest-json) keep answering on the same endpoint."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.integration.asyncinvoke.lamina_up import ROOT, LaminaUp

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    template = ROOT / "examples" / "hello" / "template.yaml"
    up = LaminaUp(template, tmp_path_factory.mktemp("protocols") / "state").start()
    yield up
    up.stop()


def client(server: LaminaUp, service: str) -> Any:
    return server.aws(service)


@pytest.mark.parametrize(
    ("service", "call", "kwargs", "code", "status", "named"),
    [
        # query: form body, XML answer.
        ("iam", "list_users", {}, "InvalidAction", 400, "iam:ListUsers"),
        # json 1.0 (App Runner's) and json 1.1.
        (
            "apprunner",
            "list_services",
            {},
            "UnknownOperationException",
            400,
            "apprunner:ListServices",
        ),
        ("ecs", "list_clusters", {}, "UnknownOperationException", 400, "ecs:ListClusters"),
        # rest-json and rest-xml: the operation is found from the method and path.
        (
            "appsync",
            "list_graphql_apis",
            {},
            "UnknownOperationException",
            404,
            "appsync:ListGraphqlApis",
        ),
        ("s3", "get_bucket_website", {"Bucket": "b"}, "NotImplemented", 501, "s3:GetBucketWebsite"),
        (
            "s3",
            "get_object_acl",
            {"Bucket": "b", "Key": "k/x.txt"},
            "NotImplemented",
            501,
            "s3:GetObjectAcl",
        ),
    ],
)
def test_boto3_gets_a_clean_error_naming_the_operation(
    server: LaminaUp,
    service: str,
    call: str,
    kwargs: dict[str, Any],
    code: str,
    status: int,
    named: str,
) -> None:
    """Each protocol's unserved operation is a ClientError with that protocol's code and status
    and a message naming service:Operation (never a ResponseParserError)."""
    with pytest.raises(ClientError) as raised:
        getattr(client(server, service), call)(**kwargs)
    error = raised.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    if call != "get_object_acl":  # S3 answers a GET's error body; botocore keeps it
        assert error["Error"]["Message"] == f"Lamina does not serve {named} yet."
    else:
        assert named in error["Error"]["Message"]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["iam", "list-users"], "iam:ListUsers"),
        (["apprunner", "list-services"], "apprunner:ListServices"),
        (["ecs", "list-clusters"], "ecs:ListClusters"),
        (["s3api", "get-bucket-website", "--bucket", "b"], "s3:GetBucketWebsite"),
    ],
)
def test_aws_cli_prints_one_line(server: LaminaUp, args: list[str], named: str) -> None:
    """The AWS CLI reports an unserved operation as one error line naming it."""
    done = subprocess.run(
        ["aws", *args, "--endpoint-url", server.endpoint],
        capture_output=True,
        text=True,
        timeout=60,
        env=server.cli_env,
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert f"Lamina does not serve {named} yet." in lines[0]
    assert "ResponseParserError" not in done.stderr


def test_old_query_client_of_a_json_service_gets_xml(server: LaminaUp) -> None:
    """An older SDK speaking query to SQS (whose model is json now) gets query's XML error for
    an action SQS does not have."""
    aws = AWSRequest(
        method="POST",
        url=server.endpoint + "/",
        data=b"Action=ListTopics&Version=2012-11-05",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    pair = server.key_pair
    SigV4Auth(Credentials(pair.access_key_id, pair.secret_access_key), "sqs", "us-east-1").add_auth(
        aws
    )
    request = urllib.request.Request(
        server.endpoint + "/", data=aws.body, headers=dict(aws.headers.items()), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    body = raised.value.read().decode()
    assert raised.value.code == 400
    assert "<Code>InvalidAction</Code>" in body
    assert "Lamina does not serve sqs:ListTopics yet." in body
    assert "<Type>Sender</Type>" in body


def test_served_services_still_answer(server: LaminaUp) -> None:
    """DynamoDB and SQS (json), Lambda (rest-json) and STS (query) answer on the same
    endpoint."""
    assert client(server, "dynamodb").list_tables()["TableNames"] == []
    assert "QueueUrls" not in client(server, "sqs").list_queues()
    identity = client(server, "sts").get_caller_identity()
    assert identity["Arn"] == "arn:aws:iam::123456789012:root"
    names = [f["FunctionName"] for f in client(server, "lambda").list_functions()["Functions"]]
    assert names
