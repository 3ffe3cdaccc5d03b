"""Kinesis Data Streams' errors, with their wire identity and AWS's wording."""

from __future__ import annotations

from lamina.errors import AwsError
from lamina.services.shared_errors import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
)

__all__ = [
    "ExpiredIteratorException",
    "InvalidArgumentException",
    "LimitExceededException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "no_shard",
    "no_stream",
    "stream_exists",
]


class ExpiredIteratorException(AwsError):
    code = "ExpiredIteratorException"
    status = 400


def no_stream(name: str, account: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Stream {name} under account {account} not found.")


def no_shard(shard_id: str, name: str, account: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(
        f"Shard {shard_id} in stream {name} under account {account} does not exist"
    )


def stream_exists(name: str, account: str) -> ResourceInUseException:
    return ResourceInUseException(f"Stream {name} under account {account} already exists.")
