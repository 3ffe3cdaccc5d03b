"""boto3's `lambda` client drives the function lifecycle unchanged: create from a zip, read,
list with pagination, update, delete, and the template's functions in the same API."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from tests.compat.lambda_.conftest import ROLE, package
from tests.integration.asyncinvoke.lamina_up import LaminaUp

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def test_create_from_zip_answers_lambdas_configuration(client: Any) -> None:
    """CreateFunction answers 201 with FunctionConfiguration: Lambda's ARN form, CodeSha256 the
    base64 SHA-256 of the zip, CodeSize its length, State Active, Version $LATEST."""
    data = package("create")
    created = client.create_function(
        FunctionName="compat-created",
        Runtime="python3.11",
        Role=ROLE,
        Handler="handlers.code",
        Code={"ZipFile": data},
        Description="made by a test",
        Timeout=7,
        MemorySize=256,
        Environment={"Variables": {"MARK": "1"}},
        Tags={"team": "lamina"},
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["FunctionArn"] == ARN + "compat-created"
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert created["CodeSize"] == len(data)
    assert (created["Version"], created["State"], created["LastUpdateStatus"]) == (
        "$LATEST",
        "Active",
        "Successful",
    )
    assert (created["Timeout"], created["MemorySize"]) == (7, 256)
    assert created["Environment"] == {"Variables": {"MARK": "1"}}
    fetched = client.get_function(FunctionName="compat-created")
    assert fetched["Configuration"]["RevisionId"] == created["RevisionId"]
    assert fetched["Tags"] == {"team": "lamina"}
    assert client.list_tags(Resource=created["FunctionArn"])["Tags"] == {"team": "lamina"}
    invoked = client.invoke(FunctionName=created["FunctionArn"])
    assert invoked["Payload"].read() == b'{"code": "create", "version": "$LATEST"}'


def test_list_functions_paginates(client: Any, make_function: Callable[..., str]) -> None:
    """ListFunctions pages with Marker/MaxItems; botocore's paginator sees every function once."""
    names = {make_function() for _ in range(3)}
    pages = list(client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) >= 2
    listed = [f["FunctionName"] for page in pages for f in page["Functions"]]
    assert len(listed) == len(set(listed))
    assert names <= set(listed)


def test_update_code_and_configuration(client: Any, make_function: Callable[..., str]) -> None:
    """UpdateFunctionCode and UpdateFunctionConfiguration change $LATEST (new RevisionId), and
    the next invocation runs the new code with the new environment."""
    name = make_function("handlers.code")
    before = client.get_function_configuration(FunctionName=name)
    updated = client.update_function_code(FunctionName=name, ZipFile=package("B"))
    assert updated["RevisionId"] != before["RevisionId"]
    assert updated["CodeSha256"] != before["CodeSha256"]
    config = client.update_function_configuration(FunctionName=name, Timeout=9, Description="d")
    assert (config["Timeout"], config["Description"]) == (9, "d")
    assert client.invoke(FunctionName=name)["Payload"].read() == (
        b'{"code": "B", "version": "$LATEST"}'
    )
    waiter = client.get_waiter("function_updated_v2")
    waiter.wait(FunctionName=name)


def test_delete_function(client: Any, make_function: Callable[..., str]) -> None:
    """DeleteFunction removes it: the next call is Lambda's ResourceNotFoundException."""
    name = make_function()
    client.delete_function(FunctionName=name)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.get_function(FunctionName=name)
    assert raised.value.response["Error"]["Message"] == f"Function not found: {ARN}{name}"


def test_template_functions_are_in_the_api(client: Any) -> None:
    """A template function is listed by its physical name, answers to its logical id, and its
    AutoPublishAlias is a real alias on a published version 1."""
    listed = [f["FunctionName"] for f in client.list_functions()["Functions"]]
    by_logical_id = client.get_function(FunctionName="TemplateFunction")["Configuration"]
    assert by_logical_id["FunctionName"] in listed
    assert by_logical_id["FunctionName"].endswith(
        by_logical_id["FunctionName"].split("-TemplateFunction-")[-1]
    )
    alias = client.get_alias(FunctionName="TemplateFunction", Name="live")
    assert alias["FunctionVersion"] == "1"
    invoked = client.invoke(FunctionName="TemplateFunction", Qualifier="live")
    assert invoked["ExecutedVersion"] == "1"
    assert invoked["Payload"].read() == b'{"from": "template", "version": "1"}'
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.delete_function(FunctionName="TemplateFunction")


def test_account_settings_and_tags(client: Any, make_function: Callable[..., str]) -> None:
    """GetAccountSettings reports the account limit and the function count; tags are added and
    removed by ARN."""
    name = make_function()
    arn = ARN + name
    settings = client.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountUsage"]["FunctionCount"] >= 2
    client.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
    client.untag_resource(Resource=arn, TagKeys=["a"])
    assert client.list_tags(Resource=arn)["Tags"] == {"b": "2"}


def test_function_url_config(client: Any, make_function: Callable[..., str]) -> None:
    """Create/Get/Update/Delete FunctionUrlConfig keep Lambda's shapes and errors."""
    name = make_function()
    created = client.create_function_url_config(FunctionName=name, AuthType="NONE")
    assert created["FunctionArn"] == ARN + name
    assert created["FunctionUrl"].startswith("http://")
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.create_function_url_config(FunctionName=name, AuthType="NONE")
    client.update_function_url_config(FunctionName=name, AuthType="AWS_IAM")
    assert client.get_function_url_config(FunctionName=name)["AuthType"] == "AWS_IAM"
    client.delete_function_url_config(FunctionName=name)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_url_config(FunctionName=name)


def test_delete_function_deletes_its_code_but_not_code_another_function_shares(
    client: Any, make_function: Callable[..., str], server: LaminaUp
) -> None:
    """The extracted zip lives until the last function using it is deleted; a published
    version's code goes with its function."""
    first = make_function(code="delete-me")
    second = make_function(code="delete-me")
    sha = client.get_function(FunctionName=first)["Configuration"]["CodeSha256"]
    extracted = server.state_dir / "lambda" / "code" / base64.b64decode(sha).hex()
    assert (extracted / "handlers.py").is_file()
    client.publish_version(FunctionName=first)
    client.delete_function(FunctionName=first)
    assert extracted.is_dir(), "the second function still runs this code"
    client.delete_function(FunctionName=second)
    assert not extracted.exists()
