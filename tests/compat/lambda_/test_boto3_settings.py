"""Concurrency (reserved and provisioned) and event invoke configuration through boto3."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.asyncinvoke.lamina_up import wait_for

RESERVED = "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_reserved_concurrency_throttles_with_429(
    client: Any, make_function: Callable[..., str], tmp_path: Path
) -> None:
    """With ReservedConcurrentExecutions 1, a second invocation while the first runs is refused
    with TooManyRequestsException (429, Reason ReservedFunction...); 0 disables the function;
    deleting the reservation lifts the limit."""
    name = make_function("handlers.hold")
    assert (
        client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)[
            "ReservedConcurrentExecutions"
        ]
        == 1
    )
    assert client.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 1
    started, release = tmp_path / "started", tmp_path / "release"
    event = json.dumps({"started": str(started), "release": str(release)})
    first = threading.Thread(target=client.invoke, kwargs={"FunctionName": name, "Payload": event})
    first.start()
    try:
        assert wait_for(started.exists, 30)
        with pytest.raises(client.exceptions.TooManyRequestsException) as raised:
            client.invoke(FunctionName=name, Payload=event)
    finally:
        release.touch()
        first.join(30)
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["Reason"] == RESERVED
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(client.exceptions.TooManyRequestsException):
        client.invoke(FunctionName=name, Payload=event)
    client.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in client.get_function_concurrency(FunctionName=name)
    assert client.invoke(FunctionName=name, Payload=event)["StatusCode"] == 200


def test_reservation_may_not_starve_the_account(
    client: Any, make_function: Callable[..., str]
) -> None:
    """Reserving more than the account can spare is InvalidParameterValueException."""
    name = make_function()
    with pytest.raises(client.exceptions.InvalidParameterValueException) as raised:
        client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=990)
    assert "UnreservedConcurrentExecution below its minimum value of [100]" in str(raised.value)


def test_provisioned_concurrency(client: Any, make_function: Callable[..., str]) -> None:
    """PutProvisionedConcurrencyConfig on a version answers 202 and becomes READY once the
    environments are initialised; $LATEST is refused; an unset config is Lambda's own error."""
    name = make_function("handlers.code")
    client.publish_version(FunctionName=name)
    put = client.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=2
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["RequestedProvisionedConcurrentExecutions"] == 2

    def ready() -> bool:
        config = client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
        return bool(
            config["Status"] == "READY" and config["AllocatedProvisionedConcurrentExecutions"] == 2
        )

    assert wait_for(ready, 30)
    listed = client.list_provisioned_concurrency_configs(FunctionName=name)
    assert [
        c["FunctionArn"].rsplit(":", 1)[1] for c in listed["ProvisionedConcurrencyConfigs"]
    ] == ["1"]
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    client.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    with pytest.raises(client.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")


def test_event_invoke_config(client: Any, make_function: Callable[..., str]) -> None:
    """Put/Update/Get/List/Delete FunctionEventInvokeConfig with Lambda's shapes; values outside
    the model's range are ValidationException; a missing config is ResourceNotFoundException."""
    name = make_function()
    target = make_function()
    target_arn = client.get_function(FunctionName=target)["Configuration"]["FunctionArn"]
    put = client.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=1,
        MaximumEventAgeInSeconds=120,
        DestinationConfig={"OnFailure": {"Destination": target_arn}},
    )
    assert put["FunctionArn"].endswith(f":{name}:$LATEST")
    assert put["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": target_arn}}
    updated = client.update_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (0, 120)
    fetched = client.get_function_event_invoke_config(FunctionName=name)
    assert fetched["DestinationConfig"]["OnFailure"] == {"Destination": target_arn}
    listed = client.list_function_event_invoke_configs(FunctionName=name)
    assert len(listed["FunctionEventInvokeConfigs"]) == 1
    with pytest.raises(ClientError) as raised:
        client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=3)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    client.delete_function_event_invoke_config(FunctionName=name)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        client.get_function_event_invoke_config(FunctionName=name)
    assert "doesn't have an EventInvokeConfig" in str(missing.value)
