"""STS GetCallerIdentity is served in the query protocol: boto3 and the AWS CLI read the
configured account, its root ARN and user id; an STS operation Lamina does not serve is a clean
query-protocol error naming it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from lamina.services.sts.service import sts_service
from tests.compat.protocols.served import Served

ACCOUNT = "210987654321"


@pytest.fixture
def served() -> Iterator[Served]:
    up = Served([sts_service(ACCOUNT)])
    yield up
    up.close()


def test_boto3_reads_the_caller_identity(served: Served) -> None:
    """get_caller_identity answers the configured account as its root user."""
    identity = served.client("sts").get_caller_identity()
    assert identity["Account"] == ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert identity["UserId"] == ACCOUNT
    assert identity["ResponseMetadata"]["RequestId"]


def test_aws_cli_prints_the_caller_identity(served: Served) -> None:
    """`aws sts get-caller-identity` prints the same identity as JSON."""
    done = served.cli("sts", "get-caller-identity")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "UserId": ACCOUNT,
        "Account": ACCOUNT,
        "Arn": f"arn:aws:iam::{ACCOUNT}:root",
    }


def test_an_unserved_sts_operation_is_a_clean_error(served: Served) -> None:
    """AssumeRole is InvalidAction (400) naming sts:AssumeRole, in query's XML error."""
    with pytest.raises(ClientError) as raised:
        served.client("sts").assume_role(
            RoleArn="arn:aws:iam::210987654321:role/r", RoleSessionName="session"
        )
    error = raised.value.response
    assert error["Error"]["Code"] == "InvalidAction"
    assert error["Error"]["Message"] == "Lamina does not serve sts:AssumeRole yet."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_aws_cli_prints_one_line_for_an_unserved_sts_operation(served: Served) -> None:
    """The AWS CLI prints the unserved AssumeRole as one error line naming it."""
    done = served.cli(
        "sts",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::1:role/role",
        "--role-session-name",
        "session",
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "Lamina does not serve sts:AssumeRole yet." in lines[0]
