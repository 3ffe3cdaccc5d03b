"""Secrets Manager through boto3 and the AWS CLI: secrets by name, ARN and partial ARN,
version stages moving as values change, deletion with a recovery window and restore, filters,
tags, binary values, random passwords, batch reads and AWS's errors."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lamina.services.secretsmanager.service import SecretsManagerService
from tests.compat.protocols.served import Served

ACCOUNT = "123456789012"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    up = Served([SecretsManagerService(tmp_path, "us-east-1", ACCOUNT)])
    yield up
    up.close()


@pytest.fixture
def sm(served: Served) -> Any:
    return served.client("secretsmanager")


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_a_secret_by_name_arn_and_partial_arn(sm: Any) -> None:
    """The ARN ends in the name, a dash and six characters; the partial ARN (without them)
    finds the secret as the full one and the name do."""
    made = sm.create_secret(Name="prod/db", SecretString='{"user": "admin"}')
    arn = made["ARN"]
    assert arn.startswith(f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db-")
    assert len(arn.rsplit("-", 1)[1]) == 6
    for secret_id in ("prod/db", arn, arn[:-7]):
        got = sm.get_secret_value(SecretId=secret_id)
        assert json.loads(got["SecretString"]) == {"user": "admin"}
        assert got["VersionStages"] == ["AWSCURRENT"] and got["VersionId"] == made["VersionId"]


def test_stages_move_as_values_change(sm: Any) -> None:
    """Each new value is AWSCURRENT; the one before is AWSPREVIOUS and readable by stage."""
    sm.create_secret(Name="s", SecretString="v1")
    second = sm.put_secret_value(SecretId="s", SecretString="v2")
    sm.update_secret(SecretId="s", SecretString="v3", Description="third")
    assert sm.get_secret_value(SecretId="s")["SecretString"] == "v3"
    assert sm.get_secret_value(SecretId="s", VersionStage="AWSPREVIOUS")["SecretString"] == "v2"
    assert sm.get_secret_value(SecretId="s", VersionId=second["VersionId"])["SecretString"] == "v2"
    described = sm.describe_secret(SecretId="s")
    stages = sorted(map(tuple, described["VersionIdsToStages"].values()))
    assert stages == [("AWSCURRENT",), ("AWSPREVIOUS",)]
    assert described["Description"] == "third"
    token = "a" * 32
    sm.put_secret_value(SecretId="s", SecretString="v4", ClientRequestToken=token)
    again = sm.put_secret_value(SecretId="s", SecretString="v4", ClientRequestToken=token)
    assert again["VersionId"] == token  # the same request again: no new version
    with pytest.raises(ClientError) as changed:
        sm.put_secret_value(SecretId="s", SecretString="other", ClientRequestToken=token)
    assert code(changed) == "ResourceExistsException"


def test_deletion_restore_and_force(sm: Any) -> None:
    """A deleted secret cannot be read until restored; a forced delete frees its name."""
    sm.create_secret(Name="gone", SecretString="x")
    deleted = sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7)
    assert deleted["Name"] == "gone" and deleted["DeletionDate"]
    with pytest.raises(ClientError) as marked:
        sm.get_secret_value(SecretId="gone")
    assert code(marked) == "InvalidRequestException"
    assert "marked for deletion" in str(marked.value)
    assert [s["Name"] for s in sm.list_secrets()["SecretList"]] == []
    planned = sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert [s["Name"] for s in planned] == ["gone"]
    sm.restore_secret(SecretId="gone")
    assert sm.get_secret_value(SecretId="gone")["SecretString"] == "x"
    sm.delete_secret(SecretId="gone", ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as missing:
        sm.describe_secret(SecretId="gone")
    assert code(missing) == "ResourceNotFoundException"
    sm.create_secret(Name="gone", SecretString="y")
    with pytest.raises(ClientError) as both:
        sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    assert code(both) == "InvalidParameterException"


def test_errors_are_awss(sm: Any) -> None:
    sm.create_secret(Name="dup", SecretString="x")
    with pytest.raises(ClientError) as exists:
        sm.create_secret(Name="dup", SecretString="x")
    assert code(exists) == "ResourceExistsException"
    assert "already exists" in str(exists.value)
    with pytest.raises(ClientError) as missing:
        sm.get_secret_value(SecretId="nope")
    assert code(missing) == "ResourceNotFoundException"
    assert "can't find the specified secret" in str(missing.value)
    sm.create_secret(Name="empty")
    with pytest.raises(ClientError) as no_value:
        sm.get_secret_value(SecretId="empty")
    assert code(no_value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as two:
        sm.create_secret(Name="two", SecretString="a", SecretBinary=b"b")
    assert code(two) == "InvalidParameterException"


def test_binary_tags_filters_and_batches(sm: Any) -> None:
    sm.create_secret(
        Name="bin", SecretBinary=b"\x00\xffdata", Tags=[{"Key": "env", "Value": "dev"}]
    )
    assert sm.get_secret_value(SecretId="bin")["SecretBinary"] == b"\x00\xffdata"
    sm.create_secret(Name="app/one", SecretString="1", Description="first app secret")
    sm.tag_resource(SecretId="app/one", Tags=[{"Key": "env", "Value": "prod"}])
    by_name = sm.list_secrets(Filters=[{"Key": "name", "Values": ["app/"]}])["SecretList"]
    assert [s["Name"] for s in by_name] == ["app/one"]
    by_tag = sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["prod"]}])["SecretList"]
    assert [s["Name"] for s in by_tag] == ["app/one"]
    not_app = sm.list_secrets(Filters=[{"Key": "name", "Values": ["!app"]}])["SecretList"]
    assert [s["Name"] for s in not_app] == ["bin"]
    sm.untag_resource(SecretId="app/one", TagKeys=["env"])
    assert sm.describe_secret(SecretId="app/one")["Tags"] == []
    batch = sm.batch_get_secret_value(SecretIdList=["app/one", "missing"])
    assert [v["SecretString"] for v in batch["SecretValues"]] == ["1"]
    assert batch["Errors"][0]["SecretId"] == "missing"
    assert batch["Errors"][0]["ErrorCode"] == "ResourceNotFoundException"


def test_random_passwords_follow_the_request(sm: Any) -> None:
    password = sm.get_random_password(PasswordLength=40, ExcludePunctuation=True)["RandomPassword"]
    assert len(password) == 40
    assert set(password) <= set(string.ascii_letters + string.digits)
    assert any(c.isdigit() for c in password) and any(c.isupper() for c in password)
    only = sm.get_random_password(
        PasswordLength=12, ExcludeUppercase=True, ExcludeLowercase=True, ExcludePunctuation=True
    )["RandomPassword"]
    assert only.isdigit()


def test_the_aws_cli_and_durability(tmp_path: Path) -> None:
    """`aws secretsmanager get-secret-value` prints the value; a fresh store reads it back."""
    first = Served([SecretsManagerService(tmp_path, "us-east-1", ACCOUNT)])
    made = first.cli(
        "secretsmanager", "create-secret", "--name", "cli", "--secret-string", "s3cr3t"
    )
    assert made.returncode == 0, made.stderr
    first.close()
    again = Served([SecretsManagerService(tmp_path, "us-east-1", ACCOUNT)])
    try:
        got = again.cli("secretsmanager", "get-secret-value", "--secret-id", "cli")
        assert got.returncode == 0, got.stderr
        assert json.loads(got.stdout)["SecretString"] == "s3cr3t"
    finally:
        again.close()
