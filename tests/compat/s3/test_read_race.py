"""A GetObject whose body file is removed by a replacing write between the read of the object's
row and the open of its file (the writer committed in between) answers the new object, whole:
never a 500, never a mix. The writer is made to win the race at exactly that point: the store's
``read`` replaces the object through the service before it opens the file it was asked for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.compat.protocols.served import Served

OLD = b"o" * (200 * 1024)  # above SQLite's blobs (64 KB), below the streamed bodies (1 MB)
NEW = b"n" * (300 * 1024)


def test_a_body_replaced_between_row_and_file_is_read_again(
    served: Served, s3: Any, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The first answer is the new object: the server did not fail the request (a 500 that
    boto3's retry would hide)."""
    s3.put_object(Bucket=bucket, Key="k", Body=OLD)
    service = served.endpoint.services[0]
    store = service.store  # type: ignore[attr-defined]
    read = store.read
    replaced: list[str] = []

    def read_after_a_replace(file: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        if not replaced:
            replaced.append(file)
            service.objects.put_object({"Bucket": bucket, "Key": "k", "Body": NEW})  # type: ignore[attr-defined]
        return read(file, start, end)

    store.read = read_after_a_replace
    try:
        answer = s3.get_object(Bucket=bucket, Key="k")
        body = answer["Body"].read()
    finally:
        store.read = read
    assert replaced, "the read went through the store's read"
    assert not [r for r in caplog.records if "GetObject failed" in r.getMessage()]
    assert body == NEW
    assert answer["ContentLength"] == len(NEW)
    assert answer["ETag"] == s3.head_object(Bucket=bucket, Key="k")["ETag"]
