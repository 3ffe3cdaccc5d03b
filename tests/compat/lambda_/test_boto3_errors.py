"""Every error of the issue, as Lambda returns it: code, HTTP status and message."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compat.lambda_.conftest import ROLE

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def _error(call: Callable[[], Any]) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_resource_not_found(client: Any, make_function: Callable[..., str]) -> None:
    """404 ResourceNotFoundException with Lambda's messages for functions, versions, aliases."""
    assert _error(lambda: client.get_function(FunctionName="no-such")) == (
        "ResourceNotFoundException",
        404,
        f"Function not found: {ARN}no-such",
    )
    assert _error(lambda: client.invoke(FunctionName="no-such")) == (
        "ResourceNotFoundException",
        404,
        f"Function not found: {ARN}no-such",
    )
    name = make_function()
    assert _error(lambda: client.invoke(FunctionName=name, Qualifier="7"))[2] == (
        f"Function not found: {ARN}{name}:7"
    )
    assert _error(lambda: client.get_alias(FunctionName=name, Name="nope"))[2] == (
        f"Cannot find alias arn: {ARN}{name}:nope"
    )


def test_resource_conflict(client: Any, make_function: Callable[..., str]) -> None:
    """409 ResourceConflictException for a name already taken."""
    name = make_function()
    code, status, message = _error(
        lambda: client.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=ROLE,
            Handler="handlers.echo",
            Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
        )
    )
    assert (code, status, message) == (
        "ResourceConflictException",
        409,
        f"Function already exist: {name}",
    )


def test_invalid_parameter_value(client: Any) -> None:
    """400 InvalidParameterValueException for a zip that does not unzip and for a missing
    handler."""
    code, status, message = _error(
        lambda: client.create_function(
            FunctionName="compat-bad-zip",
            Runtime="python3.11",
            Role=ROLE,
            Handler="handlers.echo",
            Code={"ZipFile": b"not a zip"},
        )
    )
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message.startswith("Could not unzip uploaded file.")
    code, status, _ = _error(
        lambda: client.create_function(
            FunctionName="compat-no-handler", Role=ROLE, Code={"ZipFile": b"x"}
        )
    )
    assert (code, status) == ("InvalidParameterValueException", 400)


def test_too_many_requests_carries_reason(client: Any, make_function: Callable[..., str]) -> None:
    """429 TooManyRequestsException with Lambda's Reason field and a Retry-After header."""
    name = make_function()
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(client.exceptions.TooManyRequestsException) as raised:
        client.invoke(FunctionName=name)
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"


def test_request_entity_too_large(client: Any, make_function: Callable[..., str]) -> None:
    """413 RequestEntityTooLargeException past 6 MB (sync) and 1 MB (async)."""
    name = make_function()
    big = json.dumps({"data": "x" * (6 * 1024 * 1024)}).encode()
    code, status, message = _error(lambda: client.invoke(FunctionName=name, Payload=big))
    assert (code, status) == ("RequestEntityTooLargeException", 413)
    assert message == "Request must be smaller than 6291456 bytes for the Invoke operation"
    medium = json.dumps({"data": "x" * (1024 * 1024)}).encode()
    code, status, _ = _error(
        lambda: client.invoke(FunctionName=name, Payload=medium, InvocationType="Event")
    )
    assert (code, status) == ("RequestEntityTooLargeException", 413)


def test_invalid_request_content(client: Any, make_function: Callable[..., str]) -> None:
    """400 InvalidRequestContentException for a payload that is not JSON."""
    name = make_function()
    code, status, message = _error(lambda: client.invoke(FunctionName=name, Payload=b"{nope"))
    assert (code, status) == ("InvalidRequestContentException", 400)
    assert message.startswith("Could not parse request body into json")


def test_precondition_failed_on_stale_revision(
    client: Any, make_function: Callable[..., str]
) -> None:
    """412 PreconditionFailedException when RevisionId is not the current one."""
    name = make_function()
    code, status, _ = _error(
        lambda: client.update_function_configuration(FunctionName=name, Timeout=5, RevisionId="x")
    )
    assert (code, status) == ("PreconditionFailedException", 412)
