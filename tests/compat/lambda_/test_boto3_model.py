"""The Lambda API is served from botocore's model: members checked with AWS's validation
wording, answers written where the model puts them, unserved operations named."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compat.lambda_.conftest import ROLE, package
from tests.integration.asyncinvoke.lamina_up import LaminaUp

REQUEST_ID = "def handler(event, context):\n    return context.aws_request_id\n"


def _error(call: Callable[[], Any]) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


@pytest.fixture(scope="module")
def unchecked(server: LaminaUp) -> Any:
    """A boto3 client that sends what it is given: the server's checks are the ones tested."""
    return server.client(parameter_validation=False)


def test_invoke_runs_under_the_responses_request_id(client: Any) -> None:
    """The function's aws_request_id is the Invoke response's x-amzn-RequestId, and the payload
    leaves labelled application/json with X-Amz-Executed-Version, as Lambda answers."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", REQUEST_ID)
    client.create_function(
        FunctionName="model-request-id",
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    response = client.invoke(FunctionName="model-request-id", Payload=b"{}")
    metadata = response["ResponseMetadata"]
    assert json.loads(response["Payload"].read()) == metadata["RequestId"]
    assert metadata["HTTPHeaders"]["content-type"] == "application/json"
    assert metadata["HTTPHeaders"]["x-amz-executed-version"] == "$LATEST"


def test_members_are_checked_in_aws_words(
    unchecked: Any, make_function: Callable[..., str]
) -> None:
    """Values outside the model's constraints are ValidationException (400) worded as AWS's
    request validator words them: ranges, enums (in the model's order), required members."""
    code, status, message = _error(
        lambda: unchecked.create_function(
            FunctionName="model-too-small",
            Runtime="python3.11",
            Role=ROLE,
            Handler="handlers.echo",
            Code={"ZipFile": package()},
            MemorySize=64,
        )
    )
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 128"
    )
    name = make_function()
    code, status, message = _error(
        lambda: unchecked.invoke(FunctionName=name, InvocationType="Sometimes", Payload=b"{}")
    )
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "1 validation error detected: Value 'Sometimes' at 'invocationType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
    )
    code, _, message = _error(
        lambda: unchecked.create_function(
            FunctionName="model-no-role",
            Runtime="python3.11",
            Handler="handlers.echo",
            Code={"ZipFile": package()},
        )
    )
    assert code == "ValidationException"
    assert "Value null at 'role' failed to satisfy constraint: Member must not be null" in message


def test_an_unserved_operation_is_named(client: Any) -> None:
    """An operation of Lambda's model that Lamina has no handler for is 404
    UnknownOperationException naming it, never a stack trace or a wrong operation."""
    assert _error(lambda: client.list_layers()) == (
        "UnknownOperationException",
        404,
        "Lamina does not serve lambda:ListLayers yet.",
    )


def test_deletes_answer_204_without_a_body(client: Any, make_function: Callable[..., str]) -> None:
    """DeleteFunction answers 204 (its StatusCode member) with no body, as HTTP requires."""
    name = make_function()
    response = client.delete_function(FunctionName=name)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert response["ResponseMetadata"]["HTTPHeaders"].get("content-length", "0") == "0"
