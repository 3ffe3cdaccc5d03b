"""Deployment packages at Lambda's limits through boto3: a 45 MB zip (past the 10 MB a request
could carry before) is accepted and runs while another client keeps being answered; a request over
Lambda's quota gets RequestEntityTooLargeException, as from AWS. (That the decoding, hashing and
unzipping run off the event loop is not measured here: the machines are too noisy to time it.)"""

from __future__ import annotations

import io
import os
import threading
import time
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compat.lambda_.conftest import HANDLERS, ROLE
from tests.integration.asyncinvoke.lamina_up import LaminaUp

pytestmark = pytest.mark.slow


def _zip(random_bytes: int) -> bytes:
    """A package with the handlers and incompressible padding, so the zip is that large."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("handlers.py", HANDLERS)
        archive.writestr("padding.bin", os.urandom(random_bytes))
    return buffer.getvalue()


def test_a_45_mb_package_is_accepted_and_others_keep_being_answered(server: LaminaUp) -> None:
    big = server.client(read_timeout=300)
    other = server.client()
    other.get_account_settings()
    latencies: list[float] = []
    done = threading.Event()

    def meanwhile() -> None:
        while not done.is_set():
            started = time.perf_counter()
            other.get_account_settings()
            latencies.append(time.perf_counter() - started)

    watcher = threading.Thread(target=meanwhile)
    package = _zip(45 * 1024 * 1024)
    watcher.start()
    try:
        created = big.create_function(
            FunctionName="big-package",
            Runtime="python3.11",
            Role=ROLE,
            Handler="handlers.echo",
            Code={"ZipFile": package},
        )
    finally:
        done.set()
        watcher.join()
    assert created["CodeSize"] == len(package)
    assert big.invoke(FunctionName="big-package", Payload=b"{}")["StatusCode"] == 200
    assert len(latencies) >= 3, "the other client was answered during the upload"
    big.delete_function(FunctionName="big-package")


def test_a_request_over_lambdas_quota_is_request_entity_too_large(server: LaminaUp) -> None:
    client: Any = server.client()
    with pytest.raises(ClientError) as refused:
        client.create_function(
            FunctionName="too-big",
            Runtime="python3.11",
            Role=ROLE,
            Handler="handlers.echo",
            Code={"ZipFile": _zip(53 * 1024 * 1024)},
        )
    error = refused.value.response
    assert error["Error"]["Code"] == "RequestEntityTooLargeException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
