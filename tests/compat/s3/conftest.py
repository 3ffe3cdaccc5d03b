"""S3 served in-process on a real socket, its state in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lamina.services.s3.service import S3Service
from tests.compat.protocols.served import Served


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    up = Served([S3Service(tmp_path / "state")])
    yield up
    up.close()


@pytest.fixture
def s3(served: Served) -> Any:
    return served.client("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    s3.create_bucket(Bucket="test-bucket")
    return "test-bucket"
