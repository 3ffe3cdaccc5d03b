"""SSM Parameter Store through boto3 and the AWS CLI: versions, selectors, labels, paths,
SecureString decryption, filters, tags, history, AWS's errors, and values that survive a
restart of the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lamina.services.ssm.service import SsmService
from tests.compat.protocols.served import Served

ACCOUNT = "123456789012"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    up = Served([SsmService(tmp_path, "us-east-1", ACCOUNT)])
    yield up
    up.close()


@pytest.fixture
def ssm(served: Served) -> Any:
    return served.client("ssm")


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_put_get_versions_and_selectors(ssm: Any) -> None:
    """Each overwrite is a new version; `name:N` and `name:label` read older ones; the answer
    carries the ARN, type, version and data type."""
    assert ssm.put_parameter(Name="/app/db/host", Value="a", Type="String")["Version"] == 1
    assert ssm.put_parameter(Name="/app/db/host", Value="b", Overwrite=True)["Version"] == 2
    got = ssm.get_parameter(Name="/app/db/host")["Parameter"]
    assert (got["Value"], got["Version"], got["Type"], got["DataType"]) == (
        "b",
        2,
        "String",
        "text",
    )
    assert got["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/db/host"
    old = ssm.get_parameter(Name="/app/db/host:1")["Parameter"]
    assert (old["Value"], old["Selector"]) == ("a", ":1")
    ssm.label_parameter_version(Name="/app/db/host", ParameterVersion=1, Labels=["stable"])
    assert ssm.get_parameter(Name="/app/db/host:stable")["Parameter"]["Value"] == "a"
    by_arn = ssm.get_parameter(Name=got["ARN"])["Parameter"]
    assert by_arn["Value"] == "b"
    history = ssm.get_parameter_history(Name="/app/db/host")["Parameters"]
    assert [(h["Version"], h["Value"], h["Labels"]) for h in history] == [
        (1, "a", ["stable"]),
        (2, "b", []),
    ]


def test_errors_are_awss(ssm: Any) -> None:
    """A missing parameter, an existing one without Overwrite, a bad name, a missing version,
    a value against AllowedPattern: each with its AWS code."""
    with pytest.raises(ClientError) as missing:
        ssm.get_parameter(Name="/nope")
    assert code(missing) == "ParameterNotFound"
    ssm.put_parameter(Name="n", Value="1", Type="String")
    with pytest.raises(ClientError) as exists:
        ssm.put_parameter(Name="n", Value="2", Type="String")
    assert code(exists) == "ParameterAlreadyExists"
    assert "overwrite" in str(exists.value)
    with pytest.raises(ClientError) as reserved:
        ssm.put_parameter(Name="aws-thing", Value="1", Type="String")
    assert code(reserved) == "ValidationException"
    with pytest.raises(ClientError) as version:
        ssm.get_parameter(Name="n:7")
    assert code(version) == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as pattern:
        ssm.put_parameter(Name="p", Value="abc", Type="String", AllowedPattern="^[0-9]+$")
    assert code(pattern) == "ParameterPatternMismatchException"
    with pytest.raises(ClientError) as bad_type:
        ssm.put_parameter(Name="t", Value="1", Type="Integer")
    assert code(bad_type) == "ValidationException"  # from botocore's model: an enum


def test_secure_strings_need_decryption(ssm: Any) -> None:
    """Without WithDecryption a SecureString's value is not the plaintext; with it, it is."""
    ssm.put_parameter(Name="/app/password", Value="hunter2", Type="SecureString")
    hidden = ssm.get_parameter(Name="/app/password")["Parameter"]["Value"]
    assert hidden != "hunter2"
    shown = ssm.get_parameter(Name="/app/password", WithDecryption=True)["Parameter"]
    assert shown["Value"] == "hunter2"
    (meta,) = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": ["/app/password"]}]
    )["Parameters"]
    assert meta["KeyId"] == "alias/aws/ssm" and meta["Type"] == "SecureString"


def test_paths_recursive_and_paginated(ssm: Any) -> None:
    """GetParametersByPath: one level or recursive, paginated by boto3's paginator;
    GetParameters names the invalid ones."""
    for name in ("/svc/a", "/svc/b", "/svc/deep/c", "/other/d"):
        ssm.put_parameter(Name=name, Value=name, Type="String")
    level = ssm.get_parameters_by_path(Path="/svc")["Parameters"]
    assert sorted(p["Name"] for p in level) == ["/svc/a", "/svc/b"]
    pages = ssm.get_paginator("get_parameters_by_path").paginate(
        Path="/svc/", Recursive=True, PaginationConfig={"PageSize": 1}
    )
    names = [p["Name"] for page in pages for p in page["Parameters"]]
    assert sorted(names) == ["/svc/a", "/svc/b", "/svc/deep/c"]
    many = ssm.get_parameters(Names=["/svc/a", "/missing"])
    assert [p["Name"] for p in many["Parameters"]] == ["/svc/a"]
    assert many["InvalidParameters"] == ["/missing"]


def test_tags_filters_and_delete(ssm: Any) -> None:
    ssm.put_parameter(
        Name="/t/x", Value="1", Type="StringList", Tags=[{"Key": "team", "Value": "blue"}]
    )
    ssm.put_parameter(Name="/t/y", Value="2", Type="String")
    ssm.add_tags_to_resource(
        ResourceType="Parameter", ResourceId="/t/y", Tags=[{"Key": "team", "Value": "red"}]
    )
    tagged = ssm.describe_parameters(ParameterFilters=[{"Key": "tag:team", "Values": ["red"]}])[
        "Parameters"
    ]
    assert [p["Name"] for p in tagged] == ["/t/y"]
    under = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Path", "Option": "OneLevel", "Values": ["/t"]}]
    )["Parameters"]
    assert sorted(p["Name"] for p in under) == ["/t/x", "/t/y"]
    listed = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/t/x")["TagList"]
    assert listed == [{"Key": "team", "Value": "blue"}]
    result = ssm.delete_parameters(Names=["/t/x", "/t/nope"])
    assert (result["DeletedParameters"], result["InvalidParameters"]) == (["/t/x"], ["/t/nope"])


def test_values_survive_a_new_store(tmp_path: Path) -> None:
    """What was put is read back by a store opened afresh on the same directory."""
    first = Served([SsmService(tmp_path, "us-east-1", ACCOUNT)])
    first.client("ssm").put_parameter(Name="kept", Value="yes", Type="String")
    first.close()
    again = Served([SsmService(tmp_path, "us-east-1", ACCOUNT)])
    try:
        assert again.client("ssm").get_parameter(Name="kept")["Parameter"]["Value"] == "yes"
    finally:
        again.close()


def test_the_aws_cli_reads_parameters(served: Served) -> None:
    """`aws ssm put-parameter` then `aws ssm get-parameter` prints the value."""
    put = served.cli(
        "ssm", "put-parameter", "--name", "/cli/x", "--value", "v1", "--type", "String"
    )
    assert put.returncode == 0, put.stderr
    got = served.cli("ssm", "get-parameter", "--name", "/cli/x")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["Parameter"]["Value"] == "v1"
    missing = served.cli("ssm", "get-parameter", "--name", "/cli/none")
    assert missing.returncode != 0 and "ParameterNotFound" in missing.stderr


def test_get_parameter_does_not_wait_for_a_writer(served: Served, ssm: Any) -> None:
    """GetParameter runs on the event loop: it reads the last committed version through a
    connection of its own, so a write holding the store (a long deploy, a PutParameter) stalls
    neither it nor the rest of the services port. Holding the store's lock stands for that
    write; a blocked loop fails the read in seconds."""
    ssm.put_parameter(Name="/app/mode", Value="on", Type="String")
    service = served.endpoint.services[0]
    reader = served.client("ssm", read_timeout=10)
    with service.api.store.lock:  # type: ignore[attr-defined]
        assert reader.get_parameter(Name="/app/mode")["Parameter"]["Value"] == "on"
    ssm.put_parameter(Name="/app/mode", Value="off", Overwrite=True)
    assert reader.get_parameter(Name="/app/mode")["Parameter"]["Value"] == "off"
