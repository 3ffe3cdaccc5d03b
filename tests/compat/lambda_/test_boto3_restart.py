"""Functions created through the API are durable: after `kill -9` and a restart on the same
state directory they are listed and run as before, versions, aliases and settings included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.compat.lambda_.conftest import ROLE, TEMPLATE, package
from tests.integration.asyncinvoke.lamina_up import LaminaUp

pytestmark = pytest.mark.slow


def test_api_functions_survive_kill_9(tmp_path: Path) -> None:
    """A function with two versions, a weighted alias, reserved concurrency, an event invoke
    config and tags, created before `kill -9`, is all there after the restart; versions still
    run their own code."""
    state = tmp_path / "state"
    first = LaminaUp(TEMPLATE, state).start()
    try:
        client = first.client()
        client.create_function(
            FunctionName="durable",
            Runtime="python3.11",
            Role=ROLE,
            Handler="handlers.code",
            Code={"ZipFile": package("one")},
            Tags={"k": "v"},
            Publish=True,
        )
        client.update_function_code(FunctionName="durable", ZipFile=package("two"))
        client.publish_version(FunctionName="durable")
        client.create_alias(
            FunctionName="durable",
            Name="split",
            FunctionVersion="1",
            RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
        )
        client.put_function_concurrency(FunctionName="durable", ReservedConcurrentExecutions=5)
        client.put_function_event_invoke_config(FunctionName="durable", MaximumRetryAttempts=1)
    finally:
        first.kill()

    second = LaminaUp(TEMPLATE, state).start()
    try:
        client = second.client()
        names = [f["FunctionName"] for f in client.list_functions()["Functions"]]
        assert "durable" in names
        fetched = client.get_function(FunctionName="durable")
        assert fetched["Tags"] == {"k": "v"}
        assert fetched["Concurrency"] == {"ReservedConcurrentExecutions": 5}
        alias = client.get_alias(FunctionName="durable", Name="split")
        assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.5}}
        config = client.get_function_event_invoke_config(FunctionName="durable")
        assert config["MaximumRetryAttempts"] == 1
        for version, code in (("1", "one"), ("2", "two"), ("$LATEST", "two")):
            response = client.invoke(FunctionName="durable", Qualifier=version)
            assert json.loads(response["Payload"].read())["code"] == code
    finally:
        second.stop()
