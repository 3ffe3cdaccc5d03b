"""A small PutObject is answered on the event loop, but never at the price of the loop waiting
for another thread's write: while the store's write connection is held elsewhere, the PutObject
waits on a worker thread and the server keeps answering other requests (a GetObject here, whose
bucket lookup must not take the write lock either, and a HeadObject of a missing key, whose
look for a delete marker must not), then the PutObject completes and its object is there."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.compat.protocols.served import Served


def test_a_small_put_waits_off_the_loop_while_another_write_runs(
    served: Served, s3: Any, bucket: str
) -> None:
    """Holding the store's write lock stands for a long write on a worker thread (a large
    upload's commit, a lifecycle sweep)."""
    s3.put_object(Bucket=bucket, Key="before", Body=b"old")
    service = served.endpoint.services[0]
    lock: threading.Lock = service.store._lock  # type: ignore[attr-defined]
    other = served.client("s3")
    # A blocked loop fails the read in seconds, not after botocore's minute.
    reader = served.client("s3", read_timeout=10)
    with ThreadPoolExecutor(1) as pool:
        with lock:
            put = pool.submit(other.put_object, Bucket=bucket, Key="during", Body=b"x" * 4096)
            # The loop is free: a read is answered while the put waits for the lock.
            assert reader.get_object(Bucket=bucket, Key="before")["Body"].read() == b"old"
            with pytest.raises(ClientError) as missing:  # NoSuchKey looks for a delete marker
                reader.head_object(Bucket=bucket, Key="never-written")
            assert missing.value.response["Error"]["Code"] == "404"
            assert not put.done()
        assert put.result(timeout=30)["ETag"]
    assert s3.get_object(Bucket=bucket, Key="during")["Body"].read() == b"x" * 4096
