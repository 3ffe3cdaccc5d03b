"""SQS served in-process on a real socket (``Served``), with its store in a test's directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lamina.services.sqs.service import SqsService
from tests.compat.protocols.served import Served

ACCOUNT = "123456789012"
# What queue URLs point at: the endpoint functions would be given.
ENDPOINT = "http://localhost:4566"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    endpoint = Served([SqsService(tmp_path, "us-east-1", ACCOUNT, ENDPOINT)])
    try:
        yield endpoint
    finally:
        endpoint.close()


@pytest.fixture
def sqs(served: Served) -> Any:
    return served.client("sqs")
