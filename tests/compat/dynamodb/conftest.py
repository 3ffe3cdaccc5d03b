"""Fixtures of the DynamoDB compat tier: one boto3 client on Lamina, one on moto, and
``compare`` to run the same scenario on both."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.compat.dynamodb.harness import CONFIG, CREDENTIALS, REGION, LaminaServer

Scenario = Callable[[Any], Any]


@pytest.fixture(scope="session")
def lamina_server() -> Iterator[LaminaServer]:
    server = LaminaServer()
    yield server
    server.close()


@pytest.fixture
def lamina(lamina_server: LaminaServer, tmp_path: Path) -> Iterator[Any]:
    """A boto3 DynamoDB client on a fresh, empty Lamina service."""
    service = lamina_server.attach(tmp_path / "state")
    client = lamina_server.client()
    yield client
    # Closing the client closes its keep-alive connections before the server goes away.
    client.close()
    lamina_server.detach(service)


@pytest.fixture
def moto_client() -> Iterator[Any]:
    """A boto3 DynamoDB client on moto, in-process."""
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION, config=CONFIG, **CREDENTIALS)


@pytest.fixture
def compare(lamina: Any, moto_client: Any) -> Callable[..., Any]:
    """``compare(scenario)`` runs ``scenario(client)`` on Lamina and on moto and asserts both
    return the same; it returns Lamina's result. ``aws_only`` names keys of the result where
    moto departs from AWS's documented behaviour: those are left out of the comparison (the test
    asserts AWS's behaviour on Lamina's result itself)."""

    def run(scenario: Scenario, aws_only: tuple[str, ...] = ()) -> Any:
        ours = scenario(lamina)
        theirs = scenario(moto_client)
        if aws_only:
            assert isinstance(ours, dict) and isinstance(theirs, dict)
            ours_cmp = {k: v for k, v in ours.items() if k not in aws_only}
            theirs_cmp = {k: v for k, v in theirs.items() if k not in aws_only}
            assert ours_cmp == theirs_cmp
        else:
            assert ours == theirs
        return ours

    return run
