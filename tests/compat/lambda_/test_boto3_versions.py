"""Versions are immutable snapshots and aliases route between them, weights included."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest

from tests.compat.lambda_.conftest import package

INVOKES = 1000
WEIGHT = 0.3


def test_published_versions_keep_their_code(client: Any, make_function: Callable[..., str]) -> None:
    """A version runs the code it was published with after $LATEST moves on; publishing an
    unchanged $LATEST returns the last version; versions are listed after $LATEST."""
    name = make_function("handlers.code", code="v1")
    first = client.publish_version(FunctionName=name, Description="first")
    assert (first["Version"], first["Description"]) == ("1", "first")
    assert first["FunctionArn"].endswith(f":{name}:1")
    assert client.publish_version(FunctionName=name)["Version"] == "1"
    client.update_function_code(FunctionName=name, ZipFile=package("v2"))
    assert client.publish_version(FunctionName=name)["Version"] == "2"
    client.update_function_code(FunctionName=name, ZipFile=package("v3"))

    def run(qualifier: str) -> dict[str, str]:
        response = client.invoke(FunctionName=name, Qualifier=qualifier)
        assert response["ExecutedVersion"] == qualifier
        return dict(json.loads(response["Payload"].read()))

    assert run("1") == {"code": "v1", "version": "1"}
    assert run("2") == {"code": "v2", "version": "2"}
    assert run("$LATEST") == {"code": "v3", "version": "$LATEST"}
    versions = client.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName=name, Qualifier="9")


def test_alias_lifecycle(client: Any, make_function: Callable[..., str]) -> None:
    """Aliases are created, read, moved, listed and deleted with Lambda's shapes and errors."""
    name = make_function("handlers.code")
    client.publish_version(FunctionName=name)
    alias = client.create_alias(FunctionName=name, Name="prod", FunctionVersion="1")
    assert alias["AliasArn"].endswith(f":function:{name}:prod")
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.create_alias(FunctionName=name, Name="prod", FunctionVersion="1")
    moved = client.update_alias(FunctionName=name, Name="prod", FunctionVersion="$LATEST")
    assert moved["RevisionId"] != alias["RevisionId"]
    assert [a["Name"] for a in client.list_aliases(FunctionName=name)["Aliases"]] == ["prod"]
    arn_invoke = client.invoke(FunctionName=alias["AliasArn"])
    assert arn_invoke["ExecutedVersion"] == "$LATEST"
    client.delete_alias(FunctionName=name, Name="prod")
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.get_alias(FunctionName=name, Name="prod")
    assert raised.value.response["Error"]["Message"].startswith("Cannot find alias arn: ")


def test_weighted_alias_routes_within_tolerance(
    client: Any, make_function: Callable[..., str]
) -> None:
    """An alias on version 1 with {"2": 0.3} sends about 30% of 1,000 invocations to version 2:
    the count lies within 5 binomial standard deviations of 300 (each invocation's
    X-Amz-Executed-Version tells which version ran)."""
    name = make_function("handlers.code", code="one")
    client.publish_version(FunctionName=name)
    client.update_function_code(FunctionName=name, ZipFile=package("two"))
    client.publish_version(FunctionName=name)
    client.create_alias(
        FunctionName=name,
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": WEIGHT}},
    )
    to_second = 0
    for _ in range(INVOKES):
        response = client.invoke(FunctionName=name, Qualifier="canary")
        ran = response["ExecutedVersion"]
        assert json.loads(response["Payload"].read())["version"] == ran
        to_second += ran == "2"
    sigma = math.sqrt(INVOKES * WEIGHT * (1 - WEIGHT))
    assert abs(to_second - INVOKES * WEIGHT) <= 5 * sigma, to_second


def test_version_referenced_by_an_alias_cannot_be_deleted(
    client: Any, make_function: Callable[..., str]
) -> None:
    """DeleteFunction with a version qualifier deletes that version unless an alias uses it;
    $LATEST cannot be deleted alone."""
    name = make_function()
    client.publish_version(FunctionName=name)
    client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.delete_function(FunctionName=name, Qualifier="1")
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.delete_function(FunctionName=name, Qualifier="$LATEST")
    client.delete_alias(FunctionName=name, Name="live")
    client.delete_function(FunctionName=name, Qualifier="1")
    assert [
        v["Version"] for v in client.list_versions_by_function(FunctionName=name)["Versions"]
    ] == ["$LATEST"]
